#include "profile/trial_pool.h"

#include <algorithm>
#include <cerrno>
#include <csignal>

#include "exec/process.h"

namespace saturn {

ProcessTrialPool::~ProcessTrialPool() {
  if (!running_.empty()) kill_all();
}

int64_t ProcessTrialPool::start(const WorkerArgs& args, const std::string& log) {
  SpawnOptions so;
  so.log = log;
  so.parent_death_signal = SIGKILL;
  const pid_t pid = spawn(args.to_argv(saturn_), so);
  running_.push_back(pid);
  return pid;
}

std::optional<TrialExit> ProcessTrialPool::wait() {
  for (;;) {
    if (running_.empty()) return std::nullopt;
    auto ex = wait_child();
    if (!ex) return std::nullopt;  // a signal: the caller checks its flag
    auto it = std::find(running_.begin(), running_.end(), ex->pid);
    if (it == running_.end()) continue;  // not a trial of this pool
    running_.erase(it);
    return TrialExit{ex->pid, ex->code};
  }
}

void ProcessTrialPool::kill_all() {
  for (int64_t pid : running_) signal_child(static_cast<pid_t>(pid), SIGKILL);
  while (!running_.empty()) {
    auto ex = wait_child();
    if (ex) running_.erase(std::remove(running_.begin(), running_.end(), ex->pid), running_.end());
    else if (errno == ECHILD) break;
  }
  running_.clear();
}

}  // namespace saturn
