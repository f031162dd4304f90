// The Jinja lexer: a template's source as tokens, under the settings
// transformers renders chat templates with (trim_blocks, lstrip_blocks),
// whitespace control (`{%-`, `-%}`, `{%+`, likewise for `{{ }}` and
// `{# #}`) and `{% raw %}`. Torch-free.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace saturn::jinja {

// A template that cannot be lexed, parsed or rendered: where, and what.
struct TemplateError : std::runtime_error {
  int line, col;
  TemplateError(int line_, int col_, const std::string& what) : std::runtime_error(what), line(line_), col(col_) {}
};

struct Token {
  enum class Type { Text, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op, End };
  Type type;
  std::string text;  // Text: the bytes; String: the decoded value; Name, Op, Int, Float: as written
  int line = 1, col = 1;
};

// Throws TemplateError for an unclosed tag, comment or string, or a
// character no expression has.
std::vector<Token> lex(const std::string& source);

}  // namespace saturn::jinja
