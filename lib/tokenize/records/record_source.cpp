#include "tokenize/records/record_source.h"

#include "core/data_files.h"
#include "core/error.h"
#include "tokenize/records/arrow_records.h"
#include "tokenize/records/csv_records.h"
#include "tokenize/records/json_records.h"
#include "tokenize/records/jsonl_records.h"
#include "tokenize/records/parquet_records.h"

namespace saturn::tok {
namespace {

using Open = std::unique_ptr<RecordSource> (*)(const std::string&);

// The readers, one line each.
const std::pair<const char*, Open> kReaders[] = {
    {"jsonl", jsonl_records}, {"json", json_records},       {"csv", csv_records},
    {"parquet", parquet_records}, {"arrow", arrow_records},
};

// Several files (shards, a datasets folder) read one after another.
class Files : public RecordSource {
 public:
  Files(std::vector<std::string> files, Open open) : files_(std::move(files)), open_(open) {}

  uint64_t each(const std::function<void(Record&)>& f) override {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const auto& file : files_) {
      h ^= open_(file)->each(f);
      h *= 0x100000001b3ull;
    }
    return h;
  }

 private:
  std::vector<std::string> files_;
  Open open_;
};

}  // namespace

std::unique_ptr<RecordSource> open_records(const std::string& path, const std::string& reader) {
  for (const auto& [name, open] : kReaders) {
    if (reader != name) continue;
    std::vector<std::string> files = data_files(path, reader);
    if (files.size() == 1 && files[0] == path) return open(path);
    return std::make_unique<Files>(std::move(files), open);
  }
  throw data_error(path + ": no reader for records of kind \"" + reader + "\" (jsonl, json, csv, parquet, arrow)");
}

}  // namespace saturn::tok
