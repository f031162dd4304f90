#include "exec/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace saturn {

RunLock::RunLock(const std::string& run_dir) {
  std::error_code ec;
  std::filesystem::create_directories(run_dir, ec);
  if (ec) throw Error(ErrorKind::Unavailable, run_dir + ": cannot create the run directory: " + ec.message());
  const std::string path = run_dir + "/lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(ErrorKind::Unavailable, path + ": cannot open: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    std::string pid;
    std::ifstream(path) >> pid;
    ::close(fd_);
    fd_ = -1;
    throw Error(ErrorKind::TempFail, run_dir + ": another saturn run" + (pid.empty() ? "" : " (pid " + pid + ")") +
                                         " is using this run directory");
  }
  const std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] ssize_t n = ::pwrite(fd_, me.data(), me.size(), 0);
  }
}

bool RunLock::held(const std::string& run_dir) {
  const std::string path = run_dir + "/lock";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool busy = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // (a shared lock taken here goes with the descriptor)
  return busy;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace saturn
