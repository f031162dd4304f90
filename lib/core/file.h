// Files saturn writes whole: written to a temporary name in the same folder,
// flushed to disk (fsync), then renamed over the target, so a reader sees the
// old file or the new one, never half of one. Parent folders are created.
// Throws saturn::Error with the path and the system's reason: TempFail on a
// full disk, a quota or an I/O error (io_error: free space, run again),
// NoInput when the folder cannot be made or written otherwise.
#pragma once

#include <string>

namespace saturn {

void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace saturn
