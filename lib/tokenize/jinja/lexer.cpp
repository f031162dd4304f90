#include "tokenize/jinja/lexer.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "tokenize/jinja/utf8.h"

namespace saturn::jinja {
namespace {

class Lexer {
 public:
  explicit Lexer(const std::string& s) : src_(s) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < s.size(); ++i)
      if (s[i] == '\n') line_starts_.push_back(i + 1);
  }

  std::vector<Token> run() {
    size_t pos = 0;
    bool strip_next = false;  // a `-%}` before: the next text loses its leading whitespace
    bool trim_next = false;   // a block end before (trim_blocks): the next text loses one newline
    while (pos < src_.size()) {
      size_t open = find_open(pos);
      std::string text = src_.substr(pos, open - pos);
      const size_t text_at = pos;
      if (strip_next) {
        const size_t k = text.find_first_not_of(" \t\n\r\f\v");
        text = k == std::string::npos ? "" : text.substr(k);
      } else if (trim_next && !text.empty()) {
        if (text[0] == '\n') text.erase(0, 1);
        else if (text.compare(0, 2, "\r\n") == 0) text.erase(0, 2);
      }
      strip_next = trim_next = false;
      if (open == src_.size()) {
        push_text(text, text_at);
        break;
      }
      const char kind = src_[open + 1];  // '{', '%' or '#'
      size_t inner = open + 2;
      const char mod = inner < src_.size() ? src_[inner] : 0;
      if (mod == '-') {
        const size_t k = text.find_last_not_of(" \t\n\r\f\v");
        text = k == std::string::npos ? "" : text.substr(0, k + 1);
        ++inner;
      } else if (mod == '+') {
        ++inner;
      } else if (kind != '{') {
        lstrip(text, open);
      }
      push_text(text, text_at);
      if (kind == '#') {
        const size_t close = src_.find("#}", inner);
        if (close == std::string::npos) fail(open, "a comment is not closed (no #})");
        const bool minus = close > inner && src_[close - 1] == '-';
        const bool plus = close > inner && src_[close - 1] == '+';
        strip_next = minus;
        trim_next = !minus && !plus;
        pos = close + 2;
        continue;
      }
      const bool block = kind == '%';
      const size_t end_at = block ? raw_or_tag(open, inner, &pos, &strip_next, &trim_next) : var_tag(open, inner, &pos, &strip_next);
      (void)end_at;
    }
    out_.push_back({Token::Type::End, "", where(src_.size()).first, where(src_.size()).second});
    return std::move(out_);
  }

 private:
  const std::string& src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> out_;

  std::pair<int, int> where(size_t at) const {
    const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), at) - 1;
    return {static_cast<int>(it - line_starts_.begin()) + 1, static_cast<int>(at - *it) + 1};
  }
  [[noreturn]] void fail(size_t at, const std::string& what) const {
    const auto [l, c] = where(at);
    throw TemplateError(l, c, what);
  }
  void push(Token::Type t, std::string text, size_t at) {
    const auto [l, c] = where(at);
    out_.push_back({t, std::move(text), l, c});
  }
  void push_text(const std::string& text, size_t at) {
    if (!text.empty()) push(Token::Type::Text, text, at);
  }
  // lstrip_blocks: spaces and tabs between the line's start and a block or
  // comment tag at `open` go (what text still holds of them).
  void lstrip(std::string& text, size_t open) const {
    size_t n = 0;
    while (n < open && (src_[open - n - 1] == ' ' || src_[open - n - 1] == '\t')) ++n;
    if (n < open && src_[open - n - 1] != '\n') return;
    size_t k = text.size();
    while (k > 0 && text.size() - k < n && (text[k - 1] == ' ' || text[k - 1] == '\t')) --k;
    text.erase(k);
  }
  // The next "{{", "{%" or "{#" at or after pos (the source's end when none).
  size_t find_open(size_t pos) const {
    while (true) {
      const size_t k = src_.find('{', pos);
      if (k == std::string::npos || k + 1 >= src_.size()) return src_.size();
      const char c = src_[k + 1];
      if (c == '{' || c == '%' || c == '#') return k;
      pos = k + 1;
    }
  }

  // `{{ ... }}`: tokens up to the closing "}}".
  size_t var_tag(size_t open, size_t inner, size_t* pos, bool* strip_next) {
    push(Token::Type::VarBegin, "{{", open);
    const size_t close = expr_tokens(inner, "}}", open);
    const bool minus = src_[close - 1] == '-' && close - 1 >= inner && ends_with_mod(inner, close);
    push(Token::Type::VarEnd, "}}", close);
    *strip_next = minus;
    *pos = close + 2;
    return close;
  }
  bool ends_with_mod(size_t inner, size_t close) const { return close > inner; }

  // `{% ... %}`, and a raw block's text.
  size_t raw_or_tag(size_t open, size_t inner, size_t* pos, bool* strip_next, bool* trim_next) {
    size_t k = inner;
    while (k < src_.size() && std::isspace(static_cast<unsigned char>(src_[k]))) ++k;
    if (src_.compare(k, 3, "raw") == 0 && (k + 3 >= src_.size() || !is_name_char(src_[k + 3]))) {
      size_t j = k + 3;
      while (j < src_.size() && std::isspace(static_cast<unsigned char>(src_[j]))) ++j;
      bool minus = false;
      if (j < src_.size() && (src_[j] == '-' || src_[j] == '+')) minus = src_[j++] == '-';
      if (src_.compare(j, 2, "%}") != 0) fail(k, "expected %} after raw");
      size_t body = j + 2;
      // find {% endraw %} (with optional whitespace control)
      size_t search = body;
      while (true) {
        const size_t t = src_.find("{%", search);
        if (t == std::string::npos) fail(open, "a raw block is not closed (no {% endraw %})");
        size_t m = t + 2;
        const bool lminus = m < src_.size() && src_[m] == '-';
        if (m < src_.size() && (src_[m] == '-' || src_[m] == '+')) ++m;
        while (m < src_.size() && std::isspace(static_cast<unsigned char>(src_[m]))) ++m;
        if (src_.compare(m, 6, "endraw") != 0) {
          search = t + 2;
          continue;
        }
        m += 6;
        while (m < src_.size() && std::isspace(static_cast<unsigned char>(src_[m]))) ++m;
        bool rminus = false, rplus = false;
        if (m < src_.size() && (src_[m] == '-' || src_[m] == '+')) {
          rminus = src_[m] == '-';
          rplus = src_[m] == '+';
          ++m;
        }
        if (src_.compare(m, 2, "%}") != 0) fail(t, "expected %} after endraw");
        std::string text = src_.substr(body, t - body);
        if (minus) {
          const size_t f = text.find_first_not_of(" \t\n\r\f\v");
          text = f == std::string::npos ? "" : text.substr(f);
        } else if (!text.empty() && text[0] == '\n') {
          text.erase(0, 1);
        }
        if (lminus) {
          const size_t f = text.find_last_not_of(" \t\n\r\f\v");
          text = f == std::string::npos ? "" : text.substr(0, f + 1);
        } else if (src_[t + 2] != '+') {
          lstrip(text, t);
        }
        push_text(text, body);
        *strip_next = rminus;
        *trim_next = !rminus && !rplus;
        *pos = m + 2;
        return m;
      }
    }
    push(Token::Type::BlockBegin, "{%", open);
    const size_t close = expr_tokens(inner, "%}", open);
    const char before = close > inner ? src_[close - 1] : 0;
    push(Token::Type::BlockEnd, "%}", close);
    *strip_next = before == '-';
    *trim_next = before != '-' && before != '+';
    *pos = close + 2;
    return close;
  }

  static bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  // Tokens from `pos` to the closing `close` ("}}" or "%}", optionally with
  // a - or + before it); returns the position of the closing pair.
  size_t expr_tokens(size_t pos, const char* close, size_t open) {
    int depth = 0;  // brackets: "}}" inside a dict literal is not a close
    while (true) {
      while (pos < src_.size() && std::isspace(static_cast<unsigned char>(src_[pos]))) ++pos;
      if (pos >= src_.size()) fail(open, std::string("a tag is not closed (no ") + close + ")");
      if (depth == 0 && src_.compare(pos, 2, close) == 0) return pos;
      if (depth == 0 && (src_[pos] == '-' || src_[pos] == '+') && src_.compare(pos + 1, 2, close) == 0) return pos + 1;
      const char c = src_[pos];
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t e = pos;
        while (e < src_.size() && is_name_char(src_[e])) ++e;
        push(Token::Type::Name, src_.substr(pos, e - pos), pos);
        pos = e;
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '.' && pos + 1 < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos + 1])) &&
                  !(out_.back().type == Token::Type::Name || out_.back().text == ")" || out_.back().text == "]"))) {
        pos = number(pos);
      } else if (c == '\'' || c == '"') {
        pos = string(pos);
      } else {
        static const char* ops[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=",
                                    "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"};
        bool found = false;
        for (const char* op : ops) {
          const size_t n = std::strlen(op);
          if (src_.compare(pos, n, op) == 0) {
            if (*op == '(' || *op == '[' || *op == '{') ++depth;
            if (*op == ')' || *op == ']' || *op == '}') --depth;
            push(Token::Type::Op, op, pos);
            pos += n;
            found = true;
            break;
          }
        }
        if (!found) fail(pos, std::string("unexpected character '") + c + "'");
      }
    }
  }

  size_t number(size_t pos) {
    size_t e = pos;
    bool is_float = false;
    auto digits = [&] {
      while (e < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[e])) || src_[e] == '_')) ++e;
    };
    digits();
    if (e + 1 < src_.size() && src_[e] == '.' && std::isdigit(static_cast<unsigned char>(src_[e + 1]))) {
      is_float = true;
      ++e;
      digits();
    }
    if (e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
      size_t k = e + 1;
      if (k < src_.size() && (src_[k] == '+' || src_[k] == '-')) ++k;
      if (k < src_.size() && std::isdigit(static_cast<unsigned char>(src_[k]))) {
        is_float = true;
        e = k;
        digits();
      }
    }
    std::string text = src_.substr(pos, e - pos);
    text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
    push(is_float ? Token::Type::Float : Token::Type::Int, text, pos);
    return e;
  }

  // A Python string literal (the escapes Python's decodes).
  size_t string(size_t pos) {
    const char q = src_[pos];
    std::string out;
    size_t k = pos + 1;
    while (true) {
      if (k >= src_.size()) fail(pos, "a string is not closed");
      const char c = src_[k];
      if (c == q) break;
      if (c != '\\') {
        out += c;
        ++k;
        continue;
      }
      if (k + 1 >= src_.size()) fail(pos, "a string is not closed");
      const char e = src_[k + 1];
      k += 2;
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case '0': out += '\0'; break;
        case '\n': break;
        case 'x':
        case 'u':
        case 'U': {
          const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (k + n > src_.size()) fail(k - 2, "a truncated \\" + std::string(1, e) + " escape");
          uint32_t v = 0;
          for (size_t d = 0; d < n; ++d) {
            const char h = src_[k + d];
            if (!std::isxdigit(static_cast<unsigned char>(h))) fail(k - 2, "a bad \\" + std::string(1, e) + " escape");
            v = v * 16 + static_cast<uint32_t>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
          }
          utf8::encode(out, v);
          k += n;
          break;
        }
        default: out += '\\'; out += e;
      }
    }
    push(Token::Type::String, out, pos);
    return k + 1;
  }
};

}  // namespace

std::vector<Token> lex(const std::string& source) {
  // jinja2's defaults: newlines normalised to \n, and one trailing newline dropped (keep_trailing_newline off).
  std::string s;
  s.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      s += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      s += source[i];
    }
  }
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return Lexer(s).run();
}

}  // namespace saturn::jinja
