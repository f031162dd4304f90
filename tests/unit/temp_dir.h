// Test helper: a fresh folder under the system temp directory, named after
// the test and this process, removed with everything in it at scope exit.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

namespace saturn::test {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name = "test") {
    static std::atomic<int> next{0};
    path = std::filesystem::temp_directory_path() /
           ("saturn-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(next++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace saturn::test
