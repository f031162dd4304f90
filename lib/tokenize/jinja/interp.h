// The Jinja interpreter's state, shared by the renderer (render.cpp) and
// the built-in filters, tests, methods and globals (builtins.cpp). Internal
// to lib/tokenize/jinja.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenize/jinja/ast.h"
#include "tokenize/jinja/template.h"

namespace saturn::jinja {

class Interp {
 public:
  Interp(const RenderOptions& o, const Expr* at = nullptr) : o_(o), at_(at) {}

  // Errors at the expression or statement being evaluated.
  [[noreturn]] void fail(const std::string& what) const;
  void step();                  // one more step (TemplateError past the limit)
  void check_size(size_t n) const;  // a string or list of n bytes or items may be built

  // What the renderer calls: a filter, a test, an attribute, a call.
  Value filter(const std::string& name, const Value& v, Args& args);
  bool test(const std::string& name, const Value& v, Args& args);
  Value attribute(const Value& obj, const std::string& name);
  Value item(const Value& obj, const Value& key);
  Value call(const Value& fn, Args& args);
  Value global(const std::string& name) const;  // a built-in global (undefined when none)

  // Python's operators on values.
  Value binary(const std::string& op, const Value& a, const Value& b);
  bool compare(const std::string& op, const Value& a, const Value& b);
  bool contains(const Value& container, const Value& x);
  std::vector<Value> iterate(const Value& v);  // for loops, filters: a list's items, a dict's keys, a string's characters

  const RenderOptions& options() const { return o_; }
  void set_at(const Expr* e) { at_ = e; }
  void set_at(int line, int col) { line_ = line; col_ = col; at_ = nullptr; }
  int depth = 0;  // nested macro and filter calls

 private:
  Value dict_attribute(const Value& obj, const std::string& name);  // methods.cpp
  Value list_attribute(const Value& obj, const std::string& name);
  Value str_attribute(const Value& obj, const std::string& name);
  // filters.cpp: one group each; nullopt when `name` is none of theirs.
  std::optional<Value> text_filter(const std::string& name, const Value& v, Args& a);
  std::optional<Value> sequence_filter(const std::string& name, const Value& v, Args& a);
  std::optional<Value> number_filter(const std::string& name, const Value& v, Args& a);
  std::optional<Value> collection_filter(const std::string& name, const Value& v, Args& a);

  const RenderOptions& o_;
  const Expr* at_ = nullptr;
  int line_ = 0, col_ = 0;
  int64_t steps_ = 0;
};

}  // namespace saturn::jinja
