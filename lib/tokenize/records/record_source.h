// A data file's records in file order, each a JSON value as one JSON Lines
// line holds it, whatever the file's form: the record-source interface and
// its registry (one line per reader: jsonl, json, csv, parquet, arrow). A
// path may name several files (core/data_files.h: shards, a folder), read
// one after another. Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace saturn::tok {

struct Record {
  nlohmann::ordered_json value;
  std::string where;  // "FILE:LINE" (jsonl; csv: the row's first line), "FILE: record N" (json), "FILE: row N" (parquet, arrow)
  std::string error;  // non-empty: this record cannot be read ("not JSON (at byte 3)"); value is null
};

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Calls `f` for each record in file order (blank JSON Lines skipped).
  // Returns an FNV-1a 64-bit hash of every byte read. Throws saturn::Error:
  // NoInput when the file cannot be read, Data for what spoils the whole
  // file (a line over kMaxRecordBytes, a JSON file that is not a list).
  virtual uint64_t each(const std::function<void(Record&)>& f) = 0;
};

// The longest record a reader holds at once (a JSON Lines line, a CSV row).
inline constexpr int64_t kMaxRecordBytes = 64ll << 20;

// The reader named `reader` ("jsonl", "json", "csv", "parquet", "arrow")
// over the files `path` names (data_files); a Data error for another name,
// NoInput when the path names no file.
std::unique_ptr<RecordSource> open_records(const std::string& path, const std::string& reader);

}  // namespace saturn::tok
