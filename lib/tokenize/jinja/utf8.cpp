#include "tokenize/jinja/utf8.h"

#include <unicode/uchar.h>

namespace saturn::jinja::utf8 {

uint32_t decode(const std::string& s, size_t i, size_t* len) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
  if (i + n > s.size()) n = 1;
  uint32_t c = n == 1 ? b : b & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  *len = n;
  return c;
}

void encode(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

bool is_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

size_t length(const std::string& s) {
  size_t n = 0;
  for (size_t i = 0, len = 0; i < s.size(); i += len, ++n) decode(s, i, &len);
  return n;
}

std::vector<size_t> offsets(const std::string& s) {
  std::vector<size_t> out;
  size_t len = 0;
  for (size_t i = 0; i < s.size(); i += len) {
    out.push_back(i);
    decode(s, i, &len);
  }
  out.push_back(s.size());
  return out;
}

namespace {
template <class F>
std::string map(const std::string& s, F f) {
  std::string out;
  out.reserve(s.size());
  size_t len = 0;
  for (size_t i = 0; i < s.size(); i += len) encode(out, f(decode(s, i, &len)));
  return out;
}
uint32_t up(uint32_t c) { return c < 0x80 ? (c >= 'a' && c <= 'z' ? c - 32 : c) : static_cast<uint32_t>(u_toupper(static_cast<UChar32>(c))); }
uint32_t low(uint32_t c) { return c < 0x80 ? (c >= 'A' && c <= 'Z' ? c + 32 : c) : static_cast<uint32_t>(u_tolower(static_cast<UChar32>(c))); }
bool cased(uint32_t c) { return u_isUAlphabetic(static_cast<UChar32>(c)) && (u_isULowercase(static_cast<UChar32>(c)) || u_isUUppercase(static_cast<UChar32>(c)) || u_istitle(static_cast<UChar32>(c))); }
}  // namespace

std::string upper(const std::string& s) { return map(s, up); }
std::string lower(const std::string& s) { return map(s, low); }

std::string title(const std::string& s) {
  std::string out;
  bool prev_cased = false;
  size_t len = 0;
  for (size_t i = 0; i < s.size(); i += len) {
    const uint32_t c = decode(s, i, &len);
    encode(out, prev_cased ? low(c) : (c < 0x80 ? up(c) : static_cast<uint32_t>(u_totitle(static_cast<UChar32>(c)))));
    prev_cased = cased(c);
  }
  return out;
}

std::string capitalize(const std::string& s) {
  std::string out;
  size_t len = 0;
  for (size_t i = 0; i < s.size(); i += len) {
    const uint32_t c = decode(s, i, &len);
    encode(out, i == 0 ? (c < 0x80 ? up(c) : static_cast<uint32_t>(u_totitle(static_cast<UChar32>(c)))) : low(c));
  }
  return out;
}

}  // namespace saturn::jinja::utf8
