// What the token caches (text_tokens, jsonl_data) share: reading a whole
// input file, and naming inputs by their paths, sizes and modification times
// (a stat key finds a cache entry without reading the inputs). Torch-free.
#pragma once

#include <string>
#include <vector>

namespace saturn::tok {

// The file's bytes; NoInput "PATH: cannot read (WHAT)" when it cannot be read.
std::string read_all(const std::string& path, const char* what);

// "path:size:mtime|" for each file, or "" when one cannot be stat'ed.
std::string stat_text(const std::vector<std::string>& files);

}  // namespace saturn::tok
