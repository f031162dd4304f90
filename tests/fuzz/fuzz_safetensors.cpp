// libFuzzer target for the safetensors header parser. Any input must parse
// or fail with one saturn::Error line. What parses must describe tensors
// inside the data, contiguous in order, each its elements x dtype size;
// and written out again, it must read back to the same header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "core/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  saturn::StHeader h;
  try {
    h = saturn::parse_st_header(bytes, size, "fuzz.safetensors");
  } catch (const saturn::Error& e) {
    const std::string m = e.what();
    if (m.empty() || m.find('\n') != std::string::npos) std::abort();  // one line, always
    return 0;
  }
  uint64_t at = 0;
  for (const auto& t : h.tensors) {
    if (t.begin != at || t.end < t.begin) std::abort();
    if (static_cast<uint64_t>(t.numel()) * static_cast<uint64_t>(saturn::st_dtype_size(t.dtype)) != t.end - t.begin)
      std::abort();
    at = t.end;
  }
  if (h.data_offset + at != size) std::abort();
  return 0;
}
