#include "tokenize/records/record_source.h"

#include "core/error.h"
#include "tokenize/records/csv_records.h"
#include "tokenize/records/json_records.h"
#include "tokenize/records/jsonl_records.h"

namespace saturn::tok {

std::unique_ptr<RecordSource> open_records(const std::string& path, const std::string& reader) {
  if (reader == "jsonl") return jsonl_records(path);
  if (reader == "json") return json_records(path);
  if (reader == "csv") return csv_records(path);
  throw data_error(path + ": no reader for records of kind \"" + reader + "\" (jsonl, json, csv)");
}

}  // namespace saturn::tok
