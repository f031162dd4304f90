// Jinja values: what a chat template computes with, with Python's semantics
// (truthiness, equality, str() and repr(), json.dumps) as jinja2 renders
// them. Strings carry provenance: byte ranges tagged with the index of the
// message they came from, kept through concatenation, slicing, strip and
// split, so the renderer knows which output bytes are which message's text.
// Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace saturn::jinja {

// Bytes [begin, end) of a string that came from message `id`.
struct Tag {
  size_t begin = 0, end = 0;
  int id = 0;
};

struct Value;
struct Dict;
struct Callable;
using List = std::vector<Value>;

struct Str {
  std::string text;
  std::vector<Tag> tags;  // sorted by begin; may be empty ranges (an empty content's place)
};

struct Value {
  enum class Kind : uint8_t { Undefined, None, Bool, Int, Float, Str, List, Dict, Func };
  Kind kind = Kind::Undefined;
  bool tuple = false;      // List: a tuple (repr with parentheses)
  bool ns = false;         // Dict: a namespace() (attributes assignable)
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::shared_ptr<const Str> s;
  std::shared_ptr<List> list;
  std::shared_ptr<Dict> dict;
  std::shared_ptr<Callable> fn;
  std::string name;  // Undefined: what was looked up, for "'x' is undefined"

  static Value undefined(std::string what = "") { Value v; v.name = std::move(what); return v; }
  static Value none() { Value v; v.kind = Kind::None; return v; }
  static Value boolean(bool x) { Value v; v.kind = Kind::Bool; v.b = x; return v; }
  static Value integer(int64_t x) { Value v; v.kind = Kind::Int; v.i = x; return v; }
  static Value number(double x) { Value v; v.kind = Kind::Float; v.f = x; return v; }
  static Value string(std::string x, int tag = -1);
  static Value string(Str x);
  static Value make_list(List items = {}, bool tuple = false);
  static Value make_dict();
  static Value function(std::shared_ptr<Callable> f);

  bool is_undefined() const { return kind == Kind::Undefined; }
  bool is_none() const { return kind == Kind::None; }
  bool is_str() const { return kind == Kind::Str; }
  bool is_list() const { return kind == Kind::List; }
  bool is_dict() const { return kind == Kind::Dict; }
  bool is_number() const { return kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool; }
  const std::string& text() const;  // a Str's bytes ("" for any other kind)
};

// A Python dict: insertion-ordered.
struct Dict {
  std::vector<std::pair<Value, Value>> items;
  const Value* find(const Value& key) const;
  const Value* find(const std::string& key) const;
  void set(const Value& key, Value v);
};

struct Args {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> named;
};

// A function a template can call (a global, a method, a macro).
struct Callable {
  std::string name;
  std::function<Value(Args&)> call;
};

bool truthy(const Value& v);
bool equal(const Value& a, const Value& b);
std::string type_name(const Value& v);  // Python's: str, int, list, dict, NoneType, ...

// What {{ v }} writes: Python's str(v) ("" for undefined), tags kept.
Str to_str(const Value& v);
// Python's repr(v).
std::string repr(const Value& v);
// Python's repr of a float ("1.0", "1e-05", "inf").
std::string float_repr(double x);
// Python's json.dumps(v, ensure_ascii, indent (<0: none), separators, sort_keys).
// Throws std::runtime_error for what JSON cannot hold (a function, undefined).
std::string to_json(const Value& v, bool ensure_ascii, int indent, const std::string& item_sep,
                    const std::string& key_sep, bool sort_keys);

// Str helpers that keep the tags.
void append(Str& out, const Str& s);
Str substr(const Str& s, size_t begin, size_t end);
// Every byte of `text` tagged as the first tag of `from` (none when untagged).
Str retag(std::string text, const Str& from);
// The first tag of any string in `v` (lists and dicts searched in order); -1 when none.
int first_tag(const Value& v);

}  // namespace saturn::jinja
