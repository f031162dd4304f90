// A data file memory-mapped for Arrow's readers, with the FNV-1a 64-bit
// hash of its bytes (what RecordSource::each returns). Throws
// saturn::Error (NoInput) when the file cannot be opened or mapped.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace arrow::io {
class MemoryMappedFile;
}

namespace saturn::tok {

class MappedInput {
 public:
  explicit MappedInput(const std::string& path);
  ~MappedInput();

  const std::shared_ptr<arrow::io::MemoryMappedFile>& file() const { return file_; }
  const uint8_t* data() const { return data_; }
  int64_t size() const { return size_; }
  uint64_t hash() const;

 private:
  std::shared_ptr<arrow::io::MemoryMappedFile> file_;
  std::shared_ptr<void> buffer_;  // keeps the mapped bytes alive
  const uint8_t* data_ = nullptr;
  int64_t size_ = 0;
};

}  // namespace saturn::tok
