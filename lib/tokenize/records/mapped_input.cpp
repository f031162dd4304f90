#include "tokenize/records/mapped_input.h"

#include <arrow/buffer.h>
#include <arrow/io/file.h>

#include <string_view>

#include "core/error.h"
#include "core/hash.h"

namespace saturn::tok {

MappedInput::MappedInput(const std::string& path) {
  auto f = arrow::io::MemoryMappedFile::Open(path, arrow::io::FileMode::READ);
  if (!f.ok()) throw no_input_error(path + ": cannot read the records: " + f.status().message());
  file_ = *f;
  auto n = file_->GetSize();
  if (!n.ok()) throw no_input_error(path + ": cannot read the records: " + n.status().message());
  size_ = *n;
  auto b = file_->ReadAt(0, size_);
  if (!b.ok()) throw no_input_error(path + ": cannot read the records: " + b.status().message());
  data_ = (*b)->data();
  buffer_ = *b;
}

MappedInput::~MappedInput() = default;

uint64_t MappedInput::hash() const {
  return fnv1a64(std::string_view(reinterpret_cast<const char*>(data_), static_cast<size_t>(size_)));
}

}  // namespace saturn::tok
