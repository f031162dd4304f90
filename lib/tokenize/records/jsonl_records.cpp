#include "tokenize/records/jsonl_records.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace saturn::tok {
namespace {

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r") == std::string::npos; }

class JsonlRecords : public RecordSource {
 public:
  explicit JsonlRecords(std::string path) : path_(std::move(path)) {}

  uint64_t each(const std::function<void(Record&)>& f) override {
    std::FILE* file = std::fopen(path_.c_str(), "rb");
    if (!file) throw no_input_error(path_ + ": cannot read the records: " + std::strerror(errno));
    std::vector<char> buf(1 << 20);
    std::string cur;
    int64_t number = 1;
    uint64_t h = 0xcbf29ce484222325ull;
    auto line = [&](int64_t n) {
      if (blank(cur)) return;
      Record r;
      r.where = path_ + ":" + std::to_string(n);
      try {
        r.value = nlohmann::ordered_json::parse(cur);
      } catch (const nlohmann::ordered_json::parse_error& e) {
        r.error = "not JSON (at byte " + std::to_string(e.byte) + ")";
      }
      f(r);
    };
    try {
      while (true) {
        const size_t n = std::fread(buf.data(), 1, buf.size(), file);
        if (n == 0) break;
        for (size_t i = 0; i < n; ++i) {
          h ^= static_cast<unsigned char>(buf[i]);
          h *= 0x100000001b3ull;
        }
        size_t at = 0;
        while (at < n) {
          const char* nl = static_cast<const char*>(std::memchr(buf.data() + at, '\n', n - at));
          const size_t end = nl ? static_cast<size_t>(nl - buf.data()) : n;
          if (static_cast<int64_t>(cur.size() + (end - at)) > kMaxRecordBytes)
            throw data_error(path_ + ":" + std::to_string(number) + ": a line of over " +
                             std::to_string(kMaxRecordBytes >> 20) + " MiB (each record is one line, at most that long)");
          cur.append(buf.data() + at, end - at);
          if (!nl) break;
          line(number++);
          cur.clear();
          at = end + 1;
        }
      }
      if (std::ferror(file)) throw no_input_error(path_ + ": cannot read the records: " + std::strerror(errno));
      if (!cur.empty()) line(number);
    } catch (...) {
      std::fclose(file);
      throw;
    }
    std::fclose(file);
    return h;
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<RecordSource> jsonl_records(const std::string& path) { return std::make_unique<JsonlRecords>(path); }

}  // namespace saturn::tok
