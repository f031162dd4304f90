#include "tokenize/unicode.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <array>
#include <vector>

#include "core/error.h"

namespace saturn::tok {
namespace {

CharClass icu_class(char32_t c) {
  if (u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_WHITE_SPACE)) return CharClass::Space;
  const uint32_t mask = U_GET_GC_MASK(static_cast<UChar32>(c));
  if (mask & U_GC_L_MASK) return CharClass::Letter;
  if (mask & U_GC_N_MASK) return CharClass::Number;
  return CharClass::Other;
}

const std::array<CharClass, 128>& ascii_classes() {
  static const std::array<CharClass, 128> table = [] {
    std::array<CharClass, 128> t{};
    for (char32_t c = 0; c < 128; ++c) t[c] = icu_class(c);
    return t;
  }();
  return table;
}

}  // namespace

CharClass char_class(char32_t c) { return c < 128 ? ascii_classes()[c] : icu_class(c); }

char32_t decode_utf8(std::string_view s, size_t i, int* len) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c0 = b(i);
  *len = 0;
  if (c0 < 0x80) {
    *len = 1;
    return c0;
  }
  int n;
  char32_t cp, min;
  if (c0 >= 0xC2 && c0 <= 0xDF) n = 2, cp = c0 & 0x1F, min = 0x80;
  else if (c0 >= 0xE0 && c0 <= 0xEF) n = 3, cp = c0 & 0x0F, min = 0x800;
  else if (c0 >= 0xF0 && c0 <= 0xF4) n = 4, cp = c0 & 0x07, min = 0x10000;
  else return 0;
  if (i + static_cast<size_t>(n) > s.size()) return 0;
  for (int k = 1; k < n; ++k) {
    const unsigned char ck = b(i + static_cast<size_t>(k));
    if ((ck & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (ck & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *len = n;
  return cp;
}

size_t invalid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    int len;
    decode_utf8(s, i, &len);
    if (len == 0) return i;
    i += static_cast<size_t>(len);
  }
  return std::string_view::npos;
}

void append_utf8(std::string& out, char32_t c) {
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

std::string nfc(std::string_view s) {
  bool ascii = true;
  for (char c : s) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) return std::string(s);  // ASCII is always NFC
  UErrorCode err = U_ZERO_ERROR;
  const UNormalizer2* n = unorm2_getNFCInstance(&err);
  if (U_FAILURE(err)) throw internal_error(std::string("ICU NFC: ") + u_errorName(err));
  std::vector<UChar> in(s.size() + 1), out;
  int32_t in_len = 0;
  u_strFromUTF8(in.data(), static_cast<int32_t>(in.size()), &in_len, s.data(), static_cast<int32_t>(s.size()), &err);
  if (U_FAILURE(err)) throw internal_error(std::string("ICU UTF-8: ") + u_errorName(err));
  if (unorm2_quickCheck(n, in.data(), in_len, &err) == UNORM_YES && U_SUCCESS(err)) return std::string(s);
  err = U_ZERO_ERROR;
  out.resize(static_cast<size_t>(in_len) * 3 + 16);
  const int32_t out_len = unorm2_normalize(n, in.data(), in_len, out.data(), static_cast<int32_t>(out.size()), &err);
  if (U_FAILURE(err)) throw internal_error(std::string("ICU NFC: ") + u_errorName(err));
  std::string result(static_cast<size_t>(out_len) * 3 + 4, '\0');
  int32_t bytes = 0;
  u_strToUTF8(result.data(), static_cast<int32_t>(result.size()), &bytes, out.data(), out_len, &err);
  if (U_FAILURE(err)) throw internal_error(std::string("ICU UTF-8: ") + u_errorName(err));
  result.resize(static_cast<size_t>(bytes));
  return result;
}

}  // namespace saturn::tok
