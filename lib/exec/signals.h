// SignalPipe: turns SIGINT, SIGTERM and SIGCHLD (and any extra signals
// asked for) into bytes on a pipe, so one poll() waits for child exits,
// stop requests and timers together (the self-pipe trick). One per process:
// the constructor installs the handlers, the destructor restores the old
// ones. take() returns the signals that arrived since the last call, in order.
#pragma once

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

}  // namespace saturn
