// The Unicode the byte-level tokenizers need: UTF-8 decoding with
// validation, the character classes of their pre-tokenizer patterns
// (\p{L}, \p{N}, \s as Oniguruma reads them: general categories L* and N*,
// the White_Space property) and NFC normalization. Backed by ICU.
// Torch-free, thread safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace saturn::tok {

enum class CharClass : uint8_t { Letter, Number, Space, Other };

CharClass char_class(char32_t c);

// The code point starting at s[i] and its length in bytes (1..4); len 0
// when the bytes there are not well-formed UTF-8 (overlong, surrogate,
// truncated, above U+10FFFF).
char32_t decode_utf8(std::string_view s, size_t i, int* len);

// Byte offset of the first ill-formed UTF-8 sequence in s, or npos.
size_t invalid_utf8(std::string_view s);

void append_utf8(std::string& out, char32_t c);

// s (well-formed UTF-8) in Normalization Form C; s itself when already so.
std::string nfc(std::string_view s);

}  // namespace saturn::tok
