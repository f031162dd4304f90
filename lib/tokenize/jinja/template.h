// A Jinja template compiled once and rendered many times, under the settings
// transformers' apply_chat_template uses (an immutable sandbox, trim_blocks,
// lstrip_blocks, loop controls, {% generation %}, and the globals
// raise_exception, strftime_now, namespace, dict, range, cycler, joiner).
// The sandbox: no file, network or environment access; no attribute beyond
// the values' own (no "_" names, no mutating methods); bounded steps, call
// depth, output and string sizes. Every failure is a TemplateError with a
// line and a column. Torch-free.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenize/jinja/lexer.h"
#include "tokenize/jinja/value.h"

namespace saturn::jinja {

struct Limits {
  int64_t max_steps = 50'000'000;     // statements and expressions evaluated in one render
  int max_depth = 200;                // nested macro calls and filter calls (and parse nesting)
  size_t max_output = 64u << 20;      // bytes of output, and of any one string or list built
};

struct RenderOptions {
  Limits limits;
  std::time_t now = 0;  // what strftime_now formats (local time); pin it for reproducible renders
};

struct RenderResult {
  Str text;  // the output; tags: the bytes that came from tagged strings
  std::vector<std::pair<size_t, size_t>> generation;  // {% generation %} blocks' output ranges
};

struct Parsed;

class Template {
 public:
  // Throws TemplateError for a syntax error or an unsupported statement.
  explicit Template(const std::string& source, const Limits& limits = {});
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  // `vars` is a dict (the context: messages, bos_token, ...). Throws
  // TemplateError: a runtime error (an undefined name's attribute, a type
  // error, raise_exception's message, a sandbox limit).
  RenderResult render(const Value& vars, const RenderOptions& o = {}) const;

  bool has_generation() const;

 private:
  std::unique_ptr<Parsed> parsed_;
};

}  // namespace saturn::jinja
