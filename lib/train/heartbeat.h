// HeartbeatWriter: rank 0's sign of life for the runner's stall watchdog.
// A thread rewrites heartbeat.json (core/run_files.h) in the lead job's
// folder every `period_s` with the step and phase the training loop last
// set, and a count of writes. A count that moves says the process runs (a
// stopped process or a file system that stopped answering stops it); its
// step and phase say whether training moves (a collective that hangs
// leaves the step where it is).
// set() is lock-free and may be called from the training loop any time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace saturn::train {

class HeartbeatWriter {
 public:
  enum Phase { Start, Train, Eval, Checkpoint };
  HeartbeatWriter(std::string job_dir, double period_s = 2);
  ~HeartbeatWriter();  // stops the thread (the file stays: the runner reads it after the exit too)
  HeartbeatWriter(const HeartbeatWriter&) = delete;
  HeartbeatWriter& operator=(const HeartbeatWriter&) = delete;

  void set(int64_t step, Phase phase);

 private:
  void beat();  // one write; errors are ignored (a full disk shows as no heartbeat)
  void loop();

  std::string dir_;
  double period_s_;
  std::atomic<int64_t> step_{0};
  std::atomic<int> phase_{Start};
  int64_t beats_ = 0;  // the writer's own (the constructor's write, then the thread's)
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace saturn::train
