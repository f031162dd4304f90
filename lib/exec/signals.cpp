#include "exec/signals.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "core/error.h"

namespace saturn {
namespace {

int g_pipe[2] = {-1, -1};
struct sigaction g_old[65];

extern "C" void on_signal(int sig) {
  const int saved = errno;
  const unsigned char b = static_cast<unsigned char>(sig);
  [[maybe_unused]] ssize_t n = ::write(g_pipe[1], &b, 1);
  errno = saved;
}

volatile std::sig_atomic_t g_stop_flag = 0;
constexpr int kStopSignals[3] = {SIGINT, SIGTERM, SIGUSR1};

extern "C" void on_stop_flag_signal(int sig) { g_stop_flag = sig; }

}  // namespace

SignalPipe::SignalPipe(std::vector<int> extra) : signals_{SIGINT, SIGTERM, SIGCHLD} {
  if (g_pipe[0] >= 0) throw internal_error("SignalPipe: one per process");
  if (::pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
    throw Error(ErrorKind::TempFail, std::string("cannot make a pipe: ") + std::strerror(errno));
  signals_.insert(signals_.end(), extra.begin(), extra.end());
  for (int s : signals_) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(s, &sa, &g_old[s]);
  }
}

SignalPipe::~SignalPipe() {
  for (int s : signals_) ::sigaction(s, &g_old[s], nullptr);
  ::close(g_pipe[0]);
  ::close(g_pipe[1]);
  g_pipe[0] = g_pipe[1] = -1;
}

int SignalPipe::fd() const { return g_pipe[0]; }

std::vector<int> SignalPipe::take() {
  std::vector<int> out;
  unsigned char buf[64];
  for (;;) {
    const ssize_t n = ::read(g_pipe[0], buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) out.push_back(buf[i]);
  }
  return out;
}

StopFlag::StopFlag() {
  g_stop_flag = 0;
  for (int i = 0; i < 3; ++i) {
    struct sigaction sa {};
    sa.sa_handler = on_stop_flag_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(kStopSignals[i], &sa, &old_[i]);
  }
}

StopFlag::~StopFlag() {
  for (int i = 0; i < 3; ++i) ::sigaction(kStopSignals[i], &old_[i], nullptr);
}

const volatile std::sig_atomic_t* StopFlag::flag() const { return &g_stop_flag; }

int StopFlag::signal() const { return static_cast<int>(g_stop_flag); }

}  // namespace saturn
