#include "tokenize/pretokenize.h"

#include "tokenize/unicode.h"

namespace saturn::tok {
namespace {

const std::string kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const std::string kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const std::string kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// The text as code points with their classes; off[k] is where code point k
// starts (off[n] = the text's size).
struct Chars {
  std::vector<char32_t> cp;
  std::vector<CharClass> cls;
  std::vector<size_t> off;
  size_t n = 0;

  explicit Chars(std::string_view s) {
    cp.reserve(s.size());
    cls.reserve(s.size());
    off.reserve(s.size() + 1);
    for (size_t i = 0; i < s.size();) {
      int len = 1;
      const char32_t c = static_cast<unsigned char>(s[i]) < 0x80 ? static_cast<char32_t>(s[i]) : decode_utf8(s, i, &len);
      off.push_back(i);
      cp.push_back(c);
      cls.push_back(char_class(c));
      i += static_cast<size_t>(len > 0 ? len : 1);
    }
    n = cp.size();
    off.push_back(s.size());
  }
  bool is(size_t k, CharClass c) const { return k < n && cls[k] == c; }
  bool newline(size_t k) const { return k < n && (cp[k] == '\r' || cp[k] == '\n'); }
  size_t run(size_t k, CharClass c) const {
    while (is(k, c)) ++k;
    return k;
  }
};

// Case folding as the (?i) contractions see it: ASCII, and the long s.
char32_t fold(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c == 0x017F) return 's';
  return c;
}

// 's 't 're 've 'm 'll 'd at i: the end, or 0.
size_t contraction(const Chars& t, size_t i, bool any_case) {
  if (t.cp[i] != '\'' || i + 1 >= t.n) return 0;
  auto f = [&](size_t k) { return any_case ? fold(t.cp[k]) : t.cp[k]; };
  const char32_t a = f(i + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
  if (i + 2 >= t.n) return 0;
  const char32_t b = f(i + 2);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
  return 0;
}

// \s+(?!\S)|\s+ at i (a space): the whole run at the end of the text or
// when it is one character, else all of it but the last.
size_t spaces(const Chars& t, size_t i) {
  const size_t k = t.run(i, CharClass::Space);
  if (k == t.n || k - i == 1) return k;
  return k - 1;
}

size_t match_gpt2(const Chars& t, size_t i) {
  if (size_t e = contraction(t, i, false)) return e;
  const size_t j = i + (t.cp[i] == ' ' ? 1 : 0);
  for (CharClass c : {CharClass::Letter, CharClass::Number, CharClass::Other})
    if (t.is(j, c)) return t.run(j, c);
  return spaces(t, i);
}

size_t match_llama3(const Chars& t, size_t i, size_t max_digits) {
  if (size_t e = contraction(t, i, true)) return e;
  const CharClass c = t.cls[i];
  if (c == CharClass::Letter) return t.run(i, CharClass::Letter);
  if (c != CharClass::Number && !t.newline(i) && t.is(i + 1, CharClass::Letter)) return t.run(i + 1, CharClass::Letter);
  if (c == CharClass::Number) {
    size_t k = i;
    while (k - i < max_digits && t.is(k, CharClass::Number)) ++k;
    return k;
  }
  const size_t j = i + (t.cp[i] == ' ' ? 1 : 0);
  if (t.is(j, CharClass::Other)) {
    size_t k = t.run(j, CharClass::Other);
    while (t.newline(k)) ++k;
    return k;
  }
  // A space here. \s*[\r\n]+: up to the run's last line break.
  const size_t k = t.run(i, CharClass::Space);
  for (size_t m = k; m > i; --m)
    if (t.newline(m - 1)) return m;
  return spaces(t, i);
}

}  // namespace

std::optional<SplitPattern> split_pattern(const std::string& regex) {
  if (regex == kGpt2) return SplitPattern::Gpt2;
  if (regex == kLlama3) return SplitPattern::Llama3;
  if (regex == kQwen2) return SplitPattern::Qwen2;
  return std::nullopt;
}

const std::string& pattern_regex(SplitPattern p) {
  switch (p) {
    case SplitPattern::Gpt2: return kGpt2;
    case SplitPattern::Llama3: return kLlama3;
    case SplitPattern::Qwen2: break;
  }
  return kQwen2;
}

std::vector<std::string_view> split(std::string_view text, SplitPattern p) {
  const Chars t(text);
  std::vector<std::string_view> out;
  for (size_t i = 0; i < t.n;) {
    const size_t e = p == SplitPattern::Gpt2 ? match_gpt2(t, i) : match_llama3(t, i, p == SplitPattern::Llama3 ? 3 : 1);
    out.push_back(text.substr(t.off[i], t.off[e] - t.off[i]));
    i = e;
  }
  return out;
}

}  // namespace saturn::tok
