// Records of a CSV file (record_source.h), RFC 4180: comma-separated
// fields, double-quoted where they hold commas, quotes ("") or line breaks;
// the first row names the keys, every other row is an object of strings (a
// UTF-8 byte order mark skipped; blank rows skipped; a row with another
// number of fields than the header a record error).
#pragma once

#include <memory>
#include <string>

#include "tokenize/records/record_source.h"

namespace saturn::tok {

std::unique_ptr<RecordSource> csv_records(const std::string& path);

}  // namespace saturn::tok
