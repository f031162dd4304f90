// Content hashes: FNV-1a 64-bit over canonical text, shown as 16 hex digits.
// Used to key job shapes (profile store) and jobs (run state); stable across
// platforms and releases as long as the canonical texts are. Pure; thread safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace saturn {

uint64_t fnv1a64(std::string_view data);
std::string content_hash(std::string_view canonical);  // 16 lowercase hex digits

}  // namespace saturn
