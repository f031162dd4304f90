#include "tokenize/records/json_records.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace saturn::tok {
namespace {

class JsonRecords : public RecordSource {
 public:
  explicit JsonRecords(std::string path) : path_(std::move(path)) {}

  uint64_t each(const std::function<void(Record&)>& f) override {
    std::ifstream in(path_, std::ios::binary);
    if (!in) throw no_input_error(path_ + ": cannot read the records: " + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string bytes = ss.str();
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
    nlohmann::ordered_json all;
    try {
      all = nlohmann::ordered_json::parse(bytes);
    } catch (const nlohmann::ordered_json::parse_error& e) {
      throw data_error(path_ + ": not JSON (at byte " + std::to_string(e.byte) + ")");
    }
    if (!all.is_array())
      throw data_error(path_ + ": expected a list of records, got " +
                       std::string(all.is_object() ? "an object" : "a single value") + " (JSON Lines: format jsonl)");
    for (size_t i = 0; i < all.size(); ++i) {
      Record r;
      r.where = path_ + ": record " + std::to_string(i + 1);
      r.value = std::move(all[i]);
      f(r);
    }
    return h;
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<RecordSource> json_records(const std::string& path) { return std::make_unique<JsonRecords>(path); }

}  // namespace saturn::tok
