#include "tokenize/records/csv_records.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/error.h"

namespace saturn::tok {
namespace {

class CsvRecords : public RecordSource {
 public:
  explicit CsvRecords(std::string path) : path_(std::move(path)) {}

  uint64_t each(const std::function<void(Record&)>& f) override {
    std::FILE* file = std::fopen(path_.c_str(), "rb");
    if (!file) throw no_input_error(path_ + ": cannot read the records: " + std::strerror(errno));
    uint64_t h = 0xcbf29ce484222325ull;
    std::vector<char> buf(1 << 20);
    std::vector<std::string> header, row;
    std::string field;
    bool quoted = false, after_quote = false, first_byte = true, any = false;
    int64_t line = 1, row_line = 1, bytes = 0;
    auto end_field = [&] {
      row.push_back(std::move(field));
      field.clear();
      quoted = after_quote = false;
      any = true;
    };
    auto end_row = [&] {
      if (!any && field.empty()) return;  // a blank row
      end_field();
      if (header.empty()) {
        header = std::move(row);
      } else {
        Record r;
        r.where = path_ + ":" + std::to_string(row_line);
        if (row.size() != header.size()) {
          r.error = std::to_string(row.size()) + " fields, the header has " + std::to_string(header.size());
        } else {
          r.value = nlohmann::ordered_json::object();
          for (size_t i = 0; i < row.size(); ++i) r.value[header[i]] = std::move(row[i]);
        }
        f(r);
      }
      row.clear();
      any = false;
      bytes = 0;
    };
    try {
      while (true) {
        const size_t n = std::fread(buf.data(), 1, buf.size(), file);
        if (n == 0) break;
        size_t i = 0;
        if (first_byte && n >= 3 && std::memcmp(buf.data(), "\xEF\xBB\xBF", 3) == 0) i = 3;  // a BOM
        first_byte = false;
        for (size_t k = 0; k < n; ++k) {
          h ^= static_cast<unsigned char>(buf[k]);
          h *= 0x100000001b3ull;
        }
        for (; i < n; ++i) {
          const char c = buf[i];
          if (++bytes > kMaxRecordBytes)
            throw data_error(path_ + ":" + std::to_string(row_line) + ": a row of over " +
                             std::to_string(kMaxRecordBytes >> 20) + " MiB");
          if (quoted) {
            if (c == '"') {
              quoted = false;
              after_quote = true;
            } else {
              if (c == '\n') ++line;
              field += c;
            }
          } else if (c == '"') {
            if (after_quote) field += '"';  // "" inside a quoted field
            quoted = true;
            after_quote = false;
            any = true;
          } else if (c == ',') {
            end_field();
          } else if (c == '\n') {
            if (!field.empty() && field.back() == '\r' && !after_quote) field.pop_back();
            end_row();
            row_line = ++line;
          } else if (c == '\r' && after_quote) {
            // CRLF after a closing quote
          } else {
            field += c;
            any = true;
          }
        }
      }
      if (std::ferror(file)) throw no_input_error(path_ + ": cannot read the records: " + std::strerror(errno));
      if (quoted) throw data_error(path_ + ":" + std::to_string(row_line) + ": a quoted field is not closed");
      end_row();
    } catch (...) {
      std::fclose(file);
      throw;
    }
    std::fclose(file);
    if (header.empty()) return h;
    return h;
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<RecordSource> csv_records(const std::string& path) { return std::make_unique<CsvRecords>(path); }

}  // namespace saturn::tok
