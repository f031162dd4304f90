// TrialPool: where the profiler's trials run. It starts a trial's worker
// command and reports whichever trial ends first. ProcessTrialPool runs
// `saturn worker --trial` processes on this machine (exec/process.h); tests
// use a fake that plays workers' outcomes. Not thread safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/worker_args.h"

namespace saturn {

struct TrialExit {
  int64_t id = 0;   // what start() returned
  int code = 0;     // exit status, or 128 + the signal that killed it
};

class TrialPool {
 public:
  virtual ~TrialPool() = default;
  // Starts a worker with `args` (its run_dir is the trial's scratch folder),
  // its output going to `log`; returns its id. Throws saturn::Error when it
  // cannot start.
  virtual int64_t start(const WorkerArgs& args, const std::string& log) = 0;
  // Waits for one started trial to end; nullopt when a signal interrupted
  // the wait (the caller checks its stop flag) or none is running.
  virtual std::optional<TrialExit> wait() = 0;
  // Kills every running trial and waits for them to end.
  virtual void kill_all() = 0;
};

// Trials as child processes of this one: `saturn` is the executable; each
// child dies with its parent (a trial without its profiler measures nothing).
class ProcessTrialPool final : public TrialPool {
 public:
  explicit ProcessTrialPool(std::string saturn) : saturn_(std::move(saturn)) {}
  ~ProcessTrialPool() override;
  int64_t start(const WorkerArgs& args, const std::string& log) override;
  std::optional<TrialExit> wait() override;
  void kill_all() override;

 private:
  std::string saturn_;
  std::vector<int64_t> running_;  // pids
};

}  // namespace saturn
