// safetensors: the tensor file format of Hugging Face model folders. A file
// is an 8-byte little-endian header length N, N bytes of JSON (an object:
// tensor name -> {"dtype", "shape", "data_offsets": [begin, end]}, and an
// optional "__metadata__" of strings), then the tensors' bytes, little
// endian, row major.
//
// Reading maps the file and checks every header rule before any tensor is
// touched: the header fits the file and is at most 100 MB, is one JSON
// object with no duplicate names, each entry has a known dtype, a shape of
// non-negative integers, offsets within the data that are contiguous in
// order (no gaps, no overlaps, the last one ends the file) and whose byte
// count is elements x dtype size. A file that breaks one is one
// saturn::Error (Data) naming the file and, where there is one, the tensor;
// a missing file is NoInput. Tensors are then read lazily, one at a time,
// converted to float32 from F32, F16, BF16 or F64; drop() returns a read
// tensor's pages to the kernel, so loading a large model never holds much
// more than it in memory.
//
// Writing puts the header first (padded with spaces to 8 bytes, as the
// reference writer does) and each tensor's bytes in the given order,
// through a temporary file renamed into place.
// Torch-free. A SafetensorsFile is immutable after opening: thread safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace saturn {

enum class StDtype { Bool, U8, I8, F8E5M2, F8E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

const char* st_dtype_name(StDtype d);               // "F32", "BF16", ...
std::optional<StDtype> parse_st_dtype(const std::string& name);
int64_t st_dtype_size(StDtype d);                   // bytes per element

struct StTensor {
  std::string name;
  StDtype dtype = StDtype::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;                      // byte offsets into the data section
  int64_t numel() const;
};

struct StHeader {
  std::vector<StTensor> tensors;                    // in offset order
  std::map<std::string, std::string> metadata;
  uint64_t data_offset = 0;                         // where the data section starts in the file: 8 + N
};

// Parses and checks the header of a file of `file_size` bytes whose first
// bytes are `prefix` (at least 8 + N of them, or the whole file). `where`
// names the file in errors.
StHeader parse_st_header(std::string_view prefix, uint64_t file_size, const std::string& where);

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<StTensor>& tensors() const { return header_.tensors; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }
  const StTensor* find(const std::string& name) const;  // nullptr when absent
  // The tensor's bytes as stored.
  std::string_view bytes(const StTensor& t) const;
  // The tensor as float32 into out[0 .. numel); a Data error for a dtype
  // that is not a float.
  void read_f32(const StTensor& t, float* out) const;
  // Elements [first, first + count) of t into out[0 .. count): one range
  // of a tensor (threads may read disjoint ranges at once).
  void read_f32(const StTensor& t, float* out, int64_t first, int64_t count) const;
  std::vector<float> read_f32(const StTensor& t) const;
  // Gives the pages of t's bytes back to the kernel (they are read again
  // from the file if touched).
  void drop(const StTensor& t) const;

 private:
  std::string path_;
  StHeader header_;
  std::map<std::string, size_t> index_;
  const char* map_ = nullptr;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// One tensor to write: `fill` writes its numel x dtype-size bytes to dst.
struct StWrite {
  std::string name;
  StDtype dtype = StDtype::F32;
  std::vector<int64_t> shape;
  std::function<void(char* dst)> fill;
};
// Writes `tensors` (names unique) and `metadata` to `path` atomically.
// Throws saturn::Error (Usage for duplicate names, NoInput when it cannot write).
void write_safetensors(const std::string& path, const std::vector<StWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// IEEE half and bfloat16 to float, exactly; float to them, rounding to nearest even.
float half_to_float(uint16_t h);
float bf16_to_float(uint16_t b);
uint16_t float_to_half(float f);
uint16_t float_to_bf16(float f);

}  // namespace saturn
