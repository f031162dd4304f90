// RunLock: one runner per run directory. Holds an exclusive flock on
// <run_dir>/lock (with this process's pid written in it) for its lifetime;
// the kernel drops it when the process ends however it ends, so a runner
// killed with -9 never leaves a stale lock. The descriptor is close-on-exec:
// workers do not inherit it.
#pragma once

#include <string>

namespace saturn {

class RunLock {
 public:
  // Takes the lock (creating run_dir); throws saturn::Error (TempFail)
  // naming the holder's pid when another process has it.
  explicit RunLock(const std::string& run_dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  // Whether a runner holds run_dir's lock now; reads only (no lock file is
  // created where there is none: then no runner has held it).
  static bool held(const std::string& run_dir);

 private:
  int fd_ = -1;
};

}  // namespace saturn
