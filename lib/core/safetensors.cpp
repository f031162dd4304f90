#include "core/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file.h"
#include "core/text.h"

static_assert(std::endian::native == std::endian::little, "safetensors: a little-endian host");

namespace saturn {
namespace {

constexpr uint64_t kMaxHeader = 100'000'000;  // the reference reader's cap

struct DtypeInfo {
  StDtype dtype;
  const char* name;
  int64_t size;
};
constexpr DtypeInfo kDtypes[] = {
    {StDtype::Bool, "BOOL", 1}, {StDtype::U8, "U8", 1},     {StDtype::I8, "I8", 1},
    {StDtype::F8E5M2, "F8_E5M2", 1}, {StDtype::F8E4M3, "F8_E4M3", 1}, {StDtype::I16, "I16", 2},
    {StDtype::U16, "U16", 2},   {StDtype::F16, "F16", 2},   {StDtype::BF16, "BF16", 2},
    {StDtype::I32, "I32", 4},   {StDtype::U32, "U32", 4},   {StDtype::F32, "F32", 4},
    {StDtype::F64, "F64", 8},   {StDtype::I64, "I64", 8},   {StDtype::U64, "U64", 8},
};

const DtypeInfo& info(StDtype d) {
  for (const auto& i : kDtypes)
    if (i.dtype == d) return i;
  throw internal_error("safetensors: unknown dtype");
}

uint64_t read_u64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// One header entry, checked; `fail` throws with the file and the tensor.
StTensor parse_entry(const std::string& name, const nlohmann::json& e,
                     const std::function<void(const std::string&)>& fail) {
  StTensor t;
  t.name = name;
  if (!e.is_object()) fail("is not an object");
  const auto dt = e.find("dtype");
  if (dt == e.end() || !dt->is_string()) fail("has no dtype");
  const auto d = parse_st_dtype(dt->get<std::string>());
  if (!d) fail("dtype " + dt->dump() + " is not a safetensors dtype");
  t.dtype = *d;
  const auto sh = e.find("shape");
  if (sh == e.end() || !sh->is_array()) fail("has no shape");
  uint64_t numel = 1;
  for (const auto& x : *sh) {
    if (!x.is_number_unsigned()) fail("shape " + sh->dump() + " is not a list of non-negative integers");
    const uint64_t v = x.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        (v != 0 && numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / v))
      fail("shape " + sh->dump() + " is too large");
    numel *= v;
    t.shape.push_back(static_cast<int64_t>(v));
  }
  const auto off = e.find("data_offsets");
  if (off == e.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
      !(*off)[1].is_number_unsigned())
    fail("data_offsets is not [begin, end]");
  t.begin = (*off)[0].get<uint64_t>();
  t.end = (*off)[1].get<uint64_t>();
  if (t.end < t.begin) fail("data_offsets " + off->dump() + " end before they begin");
  const uint64_t size = static_cast<uint64_t>(info(t.dtype).size);
  if (numel > std::numeric_limits<uint64_t>::max() / size || numel * size != t.end - t.begin)
    fail("holds " + std::to_string(t.end - t.begin) + " bytes; its shape " + sh->dump() + " of " + dt->get<std::string>() +
         " needs " + std::to_string(numel * size));
  return t;
}

}  // namespace

const char* st_dtype_name(StDtype d) { return info(d).name; }

std::optional<StDtype> parse_st_dtype(const std::string& name) {
  for (const auto& i : kDtypes)
    if (name == i.name) return i.dtype;
  return std::nullopt;
}

int64_t st_dtype_size(StDtype d) { return info(d).size; }

int64_t StTensor::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

StHeader parse_st_header(std::string_view prefix, uint64_t file_size, const std::string& where) {
  auto bad = [&](const std::string& what) { return data_error(where + ": not a safetensors file: " + what); };
  if (file_size < 8 || prefix.size() < 8) throw bad("shorter than its 8-byte header length");
  const uint64_t n = read_u64(prefix.data());
  if (n > kMaxHeader) throw bad("header length " + std::to_string(n) + " is over 100 MB");
  if (n > file_size - 8) throw bad("header length " + std::to_string(n) + " runs past the end of the file (" +
                                   std::to_string(file_size) + " bytes; truncated?)");
  if (prefix.size() < 8 + n) throw internal_error("parse_st_header: the prefix holds less than the header");
  const std::string_view text = prefix.substr(8, n);
  if (text.empty() || text.front() != '{') throw bad("the header does not start with '{'");
  std::set<std::string> seen;
  std::string duplicate;
  auto cb = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (depth == 1 && event == nlohmann::json::parse_event_t::key && !seen.insert(parsed.get<std::string>()).second &&
        duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  const nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) throw bad("the header is not a JSON object");
  if (!duplicate.empty()) throw data_error(where + ": tensor " + saturn::quoted(duplicate) + " is listed twice");
  StHeader h;
  h.data_offset = 8 + n;
  for (const auto& item : j.items()) {
    const std::string name = item.key();
    const nlohmann::json& e = item.value();
    if (name == "__metadata__") {
      if (!e.is_object()) throw data_error(where + ": __metadata__ is not an object of strings");
      for (const auto& [k, v] : e.items()) {
        if (!v.is_string()) throw data_error(where + ": __metadata__ " + saturn::quoted(k) + " is not a string");
        h.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    h.tensors.push_back(parse_entry(name, e, [&](const std::string& what) {
      throw data_error(where + ": tensor " + saturn::quoted(name) + ": " + what);
    }));
  }
  std::stable_sort(h.tensors.begin(), h.tensors.end(),
                   [](const StTensor& a, const StTensor& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
  const uint64_t data = file_size - h.data_offset;
  uint64_t at = 0;
  for (const auto& t : h.tensors) {
    if (t.begin != at)
      throw data_error(where + ": tensor " + saturn::quoted(t.name) + ": data_offsets [" + std::to_string(t.begin) + ", " +
                       std::to_string(t.end) + "] " + (t.begin > at ? "leave a gap" : "overlap another tensor") +
                       " at byte " + std::to_string(at));
    if (t.end > data)
      throw data_error(where + ": tensor " + saturn::quoted(t.name) + ": data_offsets end at byte " + std::to_string(t.end) +
                       ", past the " + std::to_string(data) + " bytes of data (truncated?)");
    at = t.end;
  }
  if (at != data)
    throw data_error(where + ": " + std::to_string(data - at) + " bytes after the last tensor belong to none");
  return h;
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw no_input_error(path + ": no such file");
    throw no_input_error(path + ": cannot open: " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw no_input_error(path + ": not a regular file");
  }
  size_ = static_cast<uint64_t>(st.st_size);
  if (size_ > 0) {
    void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      const int e = errno;
      ::close(fd);
      throw Error(ErrorKind::TempFail, path + ": cannot map: " + std::strerror(e));
    }
    map_ = static_cast<const char*>(m);
  }
  fd_ = fd;  // kept for pread: float32 tensors are copied by the kernel, without faulting the mapping in
  try {
    header_ = parse_st_header(std::string_view(map_ ? map_ : "", size_), size_, path);
  } catch (...) {
    if (map_) ::munmap(const_cast<char*>(map_), size_);
    map_ = nullptr;
    ::close(fd_);
    fd_ = -1;
    throw;
  }
  for (size_t i = 0; i < header_.tensors.size(); ++i) index_[header_.tensors[i].name] = i;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(const_cast<char*>(map_), size_);
  if (fd_ >= 0) ::close(fd_);
}

const StTensor* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &header_.tensors[it->second];
}

std::string_view SafetensorsFile::bytes(const StTensor& t) const {
  return {map_ + header_.data_offset + t.begin, t.end - t.begin};
}

void SafetensorsFile::read_f32(const StTensor& t, float* out) const { read_f32(t, out, 0, t.numel()); }

void SafetensorsFile::read_f32(const StTensor& t, float* out, int64_t first, int64_t count) const {
  const std::string_view all = bytes(t);
  if (first < 0 || count < 0 || first + count > t.numel())
    throw internal_error(path_ + ": tensor " + saturn::quoted(t.name) + ": elements [" + std::to_string(first) + ", " +
                         std::to_string(first + count) + ") are outside its " + std::to_string(t.numel()));
  const char* b = all.data() + first * st_dtype_size(t.dtype);
  const int64_t n = count;
  switch (t.dtype) {
    case StDtype::F32: {
      // pread: the page cache copied straight into `out` (no page faults on
      // the mapping, nothing of the file counted in this process's memory).
      auto* dst = reinterpret_cast<char*>(out);
      size_t left = static_cast<size_t>(n) * 4;
      auto at = static_cast<off_t>(b - map_);
      while (left > 0) {
        const ssize_t got = ::pread(fd_, dst, left, at);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
          std::memcpy(dst, map_ + at, left);  // a read error: let the mapping say what it holds
          return;
        }
        dst += got;
        at += got;
        left -= static_cast<size_t>(got);
      }
      return;
    }
    case StDtype::F64:
      for (int64_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, b + 8 * i, 8);
        out[i] = static_cast<float>(v);
      }
      return;
    case StDtype::F16:
    case StDtype::BF16: {
      const bool half = t.dtype == StDtype::F16;
      for (int64_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, b + 2 * i, 2);
        out[i] = half ? half_to_float(v) : bf16_to_float(v);
      }
      return;
    }
    default:
      throw data_error(path_ + ": tensor " + saturn::quoted(t.name) + " is " + st_dtype_name(t.dtype) +
                       "; expected a float (F32, F16, BF16 or F64)");
  }
}

std::vector<float> SafetensorsFile::read_f32(const StTensor& t) const {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  read_f32(t, out.data());
  return out;
}

void SafetensorsFile::drop(const StTensor& t) const {
  if (!map_ || t.end == t.begin) return;
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t lo = (header_.data_offset + t.begin + page - 1) / page * page;  // whole pages inside t only
  const uint64_t hi = (header_.data_offset + t.end) / page * page;
  if (hi > lo) ::madvise(const_cast<char*>(map_) + lo, hi - lo, MADV_DONTNEED);
}

void write_safetensors(const std::string& path, const std::vector<StWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t at = 0;
  std::set<std::string> names;
  for (const auto& t : tensors) {
    if (t.name == "__metadata__" || !names.insert(t.name).second)
      throw usage_error("safetensors: tensor name " + saturn::quoted(t.name) + " is reserved or given twice");
    int64_t numel = 1;
    for (int64_t s : t.shape) numel *= s;
    const uint64_t bytes = static_cast<uint64_t>(numel * st_dtype_size(t.dtype));
    header[t.name] = {{"dtype", st_dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {at, at + bytes}}};
    at += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8 + text.size() + at, '\0');
  const uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  std::memcpy(out.data() + 8, text.data(), text.size());
  char* dst = out.data() + 8 + text.size();
  for (const auto& t : tensors) {
    int64_t numel = 1;
    for (int64_t s : t.shape) numel *= s;
    if (t.fill) t.fill(dst);
    dst += numel * st_dtype_size(t.dtype);
  }
  write_file_atomic(path, out);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      uint32_t m = man;
      do {
        ++e;
        m <<= 1;
      } while ((m & 0x400) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (m & 0x3ff) << 13;
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | man << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | man << 13;
  }
  return std::bit_cast<float>(bits);
}

float bf16_to_float(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

uint16_t float_to_bf16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  if (std::isnan(f)) return static_cast<uint16_t>((x >> 16) | 0x40);
  return static_cast<uint16_t>((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

uint16_t float_to_half(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t ax = x & 0x7fffffff;
  if (ax >= 0x7f800000) return static_cast<uint16_t>(sign | 0x7c00 | (ax > 0x7f800000 ? 0x200 : 0));  // inf, nan
  if (ax >= 0x477ff000) return static_cast<uint16_t>(sign | 0x7c00);  // rounds past the largest half: inf
  if (ax < 0x38800000) {  // a half subnormal (or zero): round |f| / 2^-24 to an integer, ties to even
    const float scaled = std::bit_cast<float>(ax) * 16777216.0f;  // exact: a power of two
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(std::nearbyint(scaled)));
  }
  const uint32_t rounded = ax + 0xfff + ((ax >> 13) & 1);  // round to nearest even at bit 13
  return static_cast<uint16_t>(sign | static_cast<uint16_t>((rounded - 0x38000000) >> 13));
}

}  // namespace saturn
