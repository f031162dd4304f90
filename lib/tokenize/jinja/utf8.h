// UTF-8 helpers for the Jinja values: Python's str semantics (code points,
// Unicode whitespace, case) over UTF-8 bytes. Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace saturn::jinja::utf8 {

uint32_t decode(const std::string& s, size_t i, size_t* len);  // a stray byte reads as itself, length 1
void encode(std::string& out, uint32_t c);
bool is_space(uint32_t c);                         // Python's str.isspace
size_t length(const std::string& s);               // code points
std::vector<size_t> offsets(const std::string& s);  // byte offset of each code point, then s.size()
std::string upper(const std::string& s);
std::string lower(const std::string& s);
std::string title(const std::string& s);       // Python's str.title
std::string capitalize(const std::string& s);  // Python's str.capitalize

}  // namespace saturn::jinja::utf8
