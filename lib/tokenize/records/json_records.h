// Records of a JSON file holding a list (record_source.h): each item a
// record ("FILE: record N"); a file that is not JSON, or not a list, is one
// Data error for the whole file.
#pragma once

#include <memory>
#include <string>

#include "tokenize/records/record_source.h"

namespace saturn::tok {

std::unique_ptr<RecordSource> json_records(const std::string& path);

}  // namespace saturn::tok
