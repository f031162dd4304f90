// Records of an Arrow IPC file (record_source.h): the stream form (what
// Hugging Face datasets' save_to_disk writes, data-0000N-of-0000M.arrow)
// or the file form ("ARROW1", Feather v2, uncompressed or with LZ4/ZSTD
// buffers); one record per row, "FILE: row N" (arrow_rows.h). A file that
// is neither is one Data error for the file.
#pragma once

#include <memory>
#include <string>

#include "tokenize/records/record_source.h"

namespace saturn::tok {

std::unique_ptr<RecordSource> arrow_records(const std::string& path);

}  // namespace saturn::tok
