#include "exec/process.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "core/error.h"

namespace saturn {

pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& o) {
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    bool replaced = false;
    for (const auto& mine : o.env)
      if (kv.substr(0, kv.find('=') + 1) == mine.substr(0, mine.find('=') + 1)) replaced = true;
    if (!replaced) env_store.push_back(kv);
  }
  for (const auto& mine : o.env) env_store.push_back(mine);
  std::vector<char*> cenv;
  for (auto& e : env_store) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  int log_fd = -1;
  if (!o.log.empty()) {
    log_fd = ::open(o.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw Error(ErrorKind::Unavailable, o.log + ": cannot write the log: " + std::strerror(errno));
  }
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  for (int c : o.cpus) CPU_SET(c, &cpus);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    if (log_fd >= 0) ::close(log_fd);
    throw Error(ErrorKind::TempFail, std::string("cannot fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    if (o.new_process_group) ::setpgid(0, 0);
    if (o.parent_death_signal > 0) {
      ::prctl(PR_SET_PDEATHSIG, o.parent_death_signal);
      if (::getppid() != parent) ::_exit(128 + o.parent_death_signal);  // the parent is already gone
    }
    if (!o.cpus.empty()) ::sched_setaffinity(0, sizeof cpus, &cpus);
    // The parent's handlers do not belong in the child.
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    if (log_fd >= 0) {
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
    }
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  if (o.new_process_group) ::setpgid(pid, pid);  // also here: no race with an early signal
  if (log_fd >= 0) ::close(log_fd);
  return pid;
}

namespace {
std::optional<ChildExit> wait_for(int flags) {
  int status = 0;
  const pid_t pid = ::waitpid(-1, &status, flags);
  if (pid <= 0) return std::nullopt;
  ChildExit e;
  e.pid = pid;
  e.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return e;
}
}  // namespace

std::optional<ChildExit> wait_child() { return wait_for(0); }
std::optional<ChildExit> reap_child() { return wait_for(WNOHANG); }

void signal_child(pid_t pid, int sig) {
  if (::kill(-pid, sig) != 0) ::kill(pid, sig);
}

CapturedRun run_captured(const std::vector<std::string>& argv, bool ignore_stop_signals) {
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  CapturedRun r;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return r;
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return r;
  }
  if (pid == 0) {
    const int stop[3] = {SIGTERM, SIGINT, SIGHUP};
    for (int s : stop) ::signal(s, ignore_stop_signals ? SIG_IGN : SIG_DFL);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::execvp(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) r.output.append(buf, static_cast<size_t>(n));
    else if (n == 0 || errno != EINTR) break;
  }
  ::close(fds[0]);
  int status = 0;
  pid_t got;
  do got = ::waitpid(pid, &status, 0);
  while (got < 0 && errno == EINTR);
  if (got == pid) r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string last_line(const std::string& path, size_t max) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  if (last.size() > max) last = last.substr(0, max) + "...";
  return last;
}

}  // namespace saturn
