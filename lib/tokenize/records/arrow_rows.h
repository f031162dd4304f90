// The rows of Arrow record batches as records (record_source.h): each row a
// JSON object of its columns in schema order, as Hugging Face datasets
// gives a row in Python: strings and binary as strings, lists as lists,
// structs as objects (a field missing from some rows is null in them), maps
// as objects (lists of [key, value] when the keys are not strings),
// dictionary-encoded columns decoded, other types as their text. A string
// that is not UTF-8 makes its row a record error. The one place Arrow
// arrays are read; the parquet and Arrow IPC readers feed it. Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tokenize/records/record_source.h"

namespace arrow {
class RecordBatchReader;
}

namespace saturn::tok {

// Calls `f` for each row of `batches` in order, numbered from *row + 1
// ("FILE: row N"), and advances *row. Throws saturn::Error (Data: "FILE:
// what") when a batch cannot be read.
void each_arrow_row(arrow::RecordBatchReader& batches, const std::string& file, int64_t* row,
                    const std::function<void(Record&)>& f);

}  // namespace saturn::tok
