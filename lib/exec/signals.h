// SignalPipe: turns SIGINT, SIGTERM and SIGCHLD (and any extra signals
// asked for) into bytes on a pipe, so one poll() waits for child exits,
// stop requests and timers together (the self-pipe trick). One per process:
// the constructor installs the handlers, the destructor restores the old
// ones. take() returns the signals that arrived since the last call, in order.
//
// StopFlag: while alive, SIGINT, SIGTERM and SIGUSR1 only record the signal
// (the last one wins) in a flag that long work polls (profiling, planning);
// the destructor restores the old handlers. Create it before a SignalPipe
// or after one is gone, never around one.
#pragma once

#include <csignal>
#include <vector>

namespace saturn {

class SignalPipe {
 public:
  explicit SignalPipe(std::vector<int> extra = {});
  ~SignalPipe();
  SignalPipe(const SignalPipe&) = delete;
  SignalPipe& operator=(const SignalPipe&) = delete;

  int fd() const;              // readable when a signal has arrived
  std::vector<int> take();     // signals since the last call (drains the pipe)

 private:
  std::vector<int> signals_;
};

class StopFlag {
 public:
  StopFlag();
  ~StopFlag();
  StopFlag(const StopFlag&) = delete;
  StopFlag& operator=(const StopFlag&) = delete;

  const volatile std::sig_atomic_t* flag() const;  // 0, or the last stop signal
  int signal() const;                               // *flag()

 private:
  struct sigaction old_[3] {};
};

}  // namespace saturn
