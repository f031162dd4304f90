// Files saturn writes whole: written to a temporary name in the same folder,
// flushed to disk (fsync), then renamed over the target, so a reader sees the
// old file or the new one, never half of one. Parent folders are created.
// Throws saturn::Error (NoInput when the folder cannot be made or written,
// with the path and the system's reason).
#pragma once

#include <string>

namespace saturn {

void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace saturn
