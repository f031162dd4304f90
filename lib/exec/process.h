// Child processes: start a program with its output going to a log file, and
// wait for whichever child ends first. The one place saturn forks and execs
// (trials now; the run launcher builds on it). Not thread safe.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace saturn {

struct SpawnOptions {
  std::string log;                       // stdout and stderr go here (appended); "" = inherit
  std::vector<std::string> env;          // "NAME=value" set (added or replaced) in the child
  bool new_process_group = true;         // the child leads its own group: signals reach all its ranks
  std::vector<int> cpus;                 // restrict the child to these cores (empty = any)
  int parent_death_signal = 0;           // > 0: the child gets this signal when its parent dies
};

// Starts argv[0] (a path) with argv; returns the pid. Throws saturn::Error
// (TempFail) when fork fails; an exec failure shows as exit code 127.
pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& o = {});

struct ChildExit {
  pid_t pid = 0;
  int code = 0;  // exit status, or 128 + the signal that killed it
};

// Reaps one child that has ended, without blocking; nullopt when none has.
std::optional<ChildExit> reap_child();

// Waits for any child; nullopt when there is none, or when a signal
// interrupted the wait (the caller checks its own flags and waits again).
std::optional<ChildExit> wait_child();

// Sends `sig` to the child's process group (or the child alone when it has none).
void signal_child(pid_t pid, int sig);

struct CapturedRun {
  int code = -1;       // exit status, or 128 + the signal that killed it; -1: it could not start
  std::string output;  // stdout and stderr together
};

// Runs argv[0] (looked up on PATH) to its end and returns what it printed.
// With `ignore_stop_signals` the child ignores SIGTERM, SIGINT and SIGHUP,
// so a signal meant for saturn's whole job cannot cut it short (a command
// that ends that job itself, like `scontrol requeue`).
CapturedRun run_captured(const std::vector<std::string>& argv, bool ignore_stop_signals);

// The last line of a file that is not empty, at most `max` bytes: what a
// failed child said.
std::string last_line(const std::string& path, size_t max = 300);

}  // namespace saturn
