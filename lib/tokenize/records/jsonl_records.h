// Records of a JSON Lines file (record_source.h): one JSON value per line,
// blank lines skipped, a line that is not JSON a record error.
#pragma once

#include <memory>
#include <string>

#include "tokenize/records/record_source.h"

namespace saturn::tok {

std::unique_ptr<RecordSource> jsonl_records(const std::string& path);

}  // namespace saturn::tok
