// The Jinja parser: tokens (lexer.h) to a syntax tree (ast.h): the
// statements and the expression grammar of jinja2 (with the loopcontrols
// extension and transformers' {% generation %} block). Torch-free.
#pragma once

#include <string>

#include "tokenize/jinja/ast.h"

namespace saturn::jinja {

struct Parsed {
  Body body;
  bool has_generation = false;  // a {% generation %} block appears
};

// Throws TemplateError (line, column, what) for a syntax error, an
// unsupported statement (include, import, extends, block), or nesting deeper
// than `max_depth`.
Parsed parse(const std::string& source, int max_depth = 200);

}  // namespace saturn::jinja
