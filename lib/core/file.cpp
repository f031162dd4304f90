#include "core/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace saturn {

void write_file_atomic(const std::string& path, const std::string& content) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) throw no_input_error(target.parent_path().string() + ": cannot create the folder: " + ec.message());
  }
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  // A full disk, a quota or an I/O error: exit 75 (free space, run again);
  // a path that cannot be written (no such folder, no permission): 66.
  auto fail = [&](int e) -> Error {
    ::unlink(tmp.c_str());
    if (e == ENOSPC || e == EDQUOT || e == EIO) return io_error(path, "cannot write", e);
    return no_input_error(path + ": cannot write: " + std::strerror(e));
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw fail(errno);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      throw fail(e);
    }
    done += static_cast<size_t>(n);
  }
  int e = ::fsync(fd) != 0 ? errno : 0;
  if (::close(fd) != 0 && e == 0) e = errno;
  if (e != 0) throw fail(e);
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw fail(errno);
}

}  // namespace saturn
