// Records of a parquet file (record_source.h), read with Apache Arrow's
// Parquet reader: one record per row, "FILE: row N", in row-group order
// (arrow_rows.h: how a row becomes JSON). A file that is not parquet, or a
// row group that cannot be decoded, is one Data error for the file.
#pragma once

#include <memory>
#include <string>

#include "tokenize/records/record_source.h"

namespace saturn::tok {

std::unique_ptr<RecordSource> parquet_records(const std::string& path);

}  // namespace saturn::tok
