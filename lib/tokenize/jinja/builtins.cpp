// The Interp's core: the sandbox's checks, Python's operators, items and
// iteration, calls, and jinja2's tests (methods and globals: methods.cpp;
// filters: filters.cpp; shared Python operations: pyops.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>

#include "tokenize/jinja/interp.h"
#include "tokenize/jinja/pyops.h"
#include "tokenize/jinja/utf8.h"

namespace saturn::jinja {

using namespace py;

void Interp::fail(const std::string& what) const {
  if (at_) throw TemplateError(at_->line, at_->col, what);
  throw TemplateError(line_, col_, what);
}

void Interp::step() {
  if (++steps_ > o_.limits.max_steps)
    fail("the template takes more than " + std::to_string(o_.limits.max_steps) + " steps (a loop that does not end?)");
}

void Interp::check_size(size_t n) const {
  if (n > o_.limits.max_output) fail("a value longer than " + std::to_string(o_.limits.max_output) + " bytes or items");
}

std::vector<Value> Interp::iterate(const Value& v) {
  switch (v.kind) {
    case Value::Kind::List: return *v.list;
    case Value::Kind::Dict: {
      std::vector<Value> keys;
      for (const auto& [k, x] : v.dict->items) keys.push_back(k);
      return keys;
    }
    case Value::Kind::Str: {
      std::vector<Value> chars;
      const auto offs = utf8::offsets(v.text());
      for (size_t k = 0; k + 1 < offs.size(); ++k) chars.push_back(Value::string(substr(*v.s, offs[k], offs[k + 1])));
      return chars;
    }
    case Value::Kind::Undefined: return {};
    default: fail("'" + type_name(v) + "' object is not iterable");
  }
}

bool Interp::contains(const Value& c, const Value& x) {
  if (c.is_str()) {
    if (!x.is_str()) fail("'in <string>' requires string as left operand, not " + type_name(x));
    return c.text().find(x.text()) != std::string::npos;
  }
  if (c.is_list()) return std::any_of(c.list->begin(), c.list->end(), [&](const Value& v) { return equal(v, x); });
  if (c.is_dict()) return c.dict->find(x) != nullptr;
  if (c.is_undefined()) return false;
  fail("argument of type '" + type_name(c) + "' is not iterable");
}

bool Interp::compare(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return equal(a, b);
  if (op == "!=") return !equal(a, b);
  const int c = order(*this, a, b);
  if (op == "<") return c < 0;
  if (op == ">") return c > 0;
  if (op == "<=") return c <= 0;
  return c >= 0;
}

Value Interp::binary(const std::string& op, const Value& a, const Value& b) {
  auto bad = [&]() -> Value {
    fail("unsupported operand type(s) for " + op + ": '" + type_name(a) + "' and '" + type_name(b) + "'");
  };
  if (op == "~") {
    Str s = to_str(a);
    const Str t = to_str(b);
    check_size(s.text.size() + t.text.size());
    append(s, t);
    return Value::string(std::move(s));
  }
  if (op == "%" && a.is_str()) {
    // Python: a tuple gives the arguments; a list, dict (or Undefined) reads as a mapping (no "not all converted")
    const bool mapping = (b.is_list() && !b.tuple) || b.is_dict() || b.is_undefined();
    std::vector<Value> args = b.is_list() && b.tuple ? *b.list : std::vector<Value>{b};
    if (mapping && a.text().find('%') == std::string::npos) return a;
    return Value::string(retag(percent_format(*this, a.text(), args), *a.s));
  }
  if (a.is_undefined() || b.is_undefined()) {
    const Value& u = a.is_undefined() ? a : b;
    fail("'" + (u.name.empty() ? std::string("value") : u.name) + "' is undefined");
  }
  if (op == "+") {
    if (a.is_str() && b.is_str()) {
      check_size(a.text().size() + b.text().size());
      Str s = *a.s;
      append(s, *b.s);
      return Value::string(std::move(s));
    }
    if (a.is_list() && b.is_list() && a.tuple == b.tuple) {
      check_size(a.list->size() + b.list->size());
      List l = *a.list;
      l.insert(l.end(), b.list->begin(), b.list->end());
      return Value::make_list(std::move(l), a.tuple);
    }
  }
  if (op == "*") {
    const Value* seq = a.is_str() || a.is_list() ? &a : b.is_str() || b.is_list() ? &b : nullptr;
    const Value* times = seq == &a ? &b : &a;
    if (seq && is_int(*times)) {
      const int64_t n = std::max<int64_t>(0, as_int(*times));
      const size_t unit = seq->is_str() ? seq->text().size() : seq->list->size();
      if (unit && static_cast<uint64_t>(n) > o_.limits.max_output / unit) check_size(o_.limits.max_output + 1);
      if (seq->is_str()) {
        std::string s;
        for (int64_t k = 0; k < n; ++k) s += seq->text();
        return Value::string(retag(std::move(s), *seq->s));
      }
      List l;
      for (int64_t k = 0; k < n; ++k) l.insert(l.end(), seq->list->begin(), seq->list->end());
      return Value::make_list(std::move(l), seq->tuple);
    }
  }
  if (!a.is_number() || !b.is_number()) return bad();
  const bool ints = is_int(a) && is_int(b);
  const int64_t x = ints ? as_int(a) : 0, y = ints ? as_int(b) : 0;
  const double p = as_num(a), q = as_num(b);
  if (op == "+") return ints ? Value::integer(x + y) : Value::number(p + q);
  if (op == "-") return ints ? Value::integer(x - y) : Value::number(p - q);
  if (op == "*") return ints ? Value::integer(x * y) : Value::number(p * q);
  if (op == "/") {
    if (q == 0) fail("division by zero");
    return Value::number(p / q);
  }
  if (op == "//") {
    if (q == 0) fail("integer division or modulo by zero");
    return ints ? Value::integer(floordiv(x, y)) : Value::number(std::floor(p / q));
  }
  if (op == "%") {
    if (q == 0) fail("integer division or modulo by zero");
    if (ints) return Value::integer(mod(x, y));
    double m = std::fmod(p, q);
    if (m != 0 && ((m < 0) != (q < 0))) m += q;
    return Value::number(m);
  }
  if (op == "**") {
    if (ints && y >= 0) {
      int64_t r = 1;
      for (int64_t k = 0; k < y; ++k) {
        if (std::abs(static_cast<double>(r) * static_cast<double>(x)) > 9.2e18) return Value::number(std::pow(p, q));
        r *= x;
      }
      return Value::integer(r);
    }
    return Value::number(std::pow(p, q));
  }
  return bad();
}

Value Interp::item(const Value& obj, const Value& key) {
  switch (obj.kind) {
    case Value::Kind::Dict: {
      if (const Value* v = obj.dict->find(key)) return *v;
      if (key.is_str() && !obj.ns) return attribute(obj, key.text());
      return Value::undefined(key.is_str() ? key.text() : repr(key));
    }
    case Value::Kind::List: {
      if (!is_int(key)) {
        if (key.is_str()) return attribute(obj, key.text());
        fail("list indices must be integers or slices, not " + type_name(key));
      }
      int64_t k = as_int(key);
      const int64_t n = static_cast<int64_t>(obj.list->size());
      if (k < 0) k += n;
      if (k < 0 || k >= n) return Value::undefined("index " + std::to_string(as_int(key)));
      return (*obj.list)[static_cast<size_t>(k)];
    }
    case Value::Kind::Str: {
      if (!is_int(key)) {
        if (key.is_str()) return attribute(obj, key.text());
        fail("string indices must be integers, not " + type_name(key));
      }
      const auto offs = utf8::offsets(obj.text());
      int64_t k = as_int(key);
      const int64_t n = static_cast<int64_t>(offs.size()) - 1;
      if (k < 0) k += n;
      if (k < 0 || k >= n) return Value::undefined("index " + std::to_string(as_int(key)));
      return Value::string(substr(*obj.s, offs[static_cast<size_t>(k)], offs[static_cast<size_t>(k + 1)]));
    }
    case Value::Kind::Undefined:
      fail("'" + (obj.name.empty() ? std::string("value") : obj.name) + "' is undefined");
    default: return Value::undefined();
  }
}

Value Interp::call(const Value& f, Args& args) {
  if (f.kind != Value::Kind::Func) fail("'" + type_name(f) + "' object is not callable");
  return f.fn->call(args);
}

// ---- tests ------------------------------------------------------------

bool Interp::test(const std::string& name, const Value& v, Args& a) {
  const Value* x = arg(a, 0, "other");
  auto need = [&]() -> const Value& {
    if (!x) fail("the test '" + name + "' needs an argument");
    return *x;
  };
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.kind == Value::Kind::Bool;
  if (name == "true") return v.kind == Value::Kind::Bool && v.b;
  if (name == "false") return v.kind == Value::Kind::Bool && !v.b;
  if (name == "integer") return v.kind == Value::Kind::Int;
  if (name == "float") return v.kind == Value::Kind::Float;
  if (name == "number") return v.is_number();
  if (name == "string") return v.is_str();
  if (name == "mapping") return v.is_dict();
  if (name == "sequence" || name == "iterable") return v.is_list() || v.is_str() || v.is_dict() || v.is_undefined();
  if (name == "callable") return v.kind == Value::Kind::Func;
  if (name == "escaped") return false;
  if (name == "sameas") {
    const Value& o = need();
    if (v.kind != o.kind) return false;
    if (v.is_none() || v.is_undefined()) return true;
    if (v.kind == Value::Kind::Bool) return v.b == o.b;
    if (v.is_list()) return v.list == o.list;
    if (v.is_dict()) return v.dict == o.dict;
    return equal(v, o) && (v.kind == Value::Kind::Int);
  }
  if (name == "eq" || name == "equalto" || name == "==") return equal(v, need());
  if (name == "ne" || name == "!=") return !equal(v, need());
  if (name == "lt" || name == "lessthan" || name == "<") return compare("<", v, need());
  if (name == "le" || name == "<=") return compare("<=", v, need());
  if (name == "gt" || name == "greaterthan" || name == ">") return compare(">", v, need());
  if (name == "ge" || name == ">=") return compare(">=", v, need());
  if (name == "in") return contains(need(), v);
  if (name == "odd" || name == "even" || name == "divisibleby") {  // value % 2 == 1, value % 2 == 0, value % n == 0
    const Value d = name == "divisibleby" ? need() : Value::integer(2);
    const Value r = binary("%", v, d);
    return equal(r, Value::integer(name == "odd" ? 1 : 0));
  }
  if (name == "lower" || name == "upper") {  // Python's str(v).islower() / isupper(): a cased character, none of the other case
    const std::string t = to_str(v).text, lo = utf8::lower(t), up = utf8::upper(t);
    return lo != up && (name == "lower" ? lo == t : up == t);
  }
  if (name == "filter" || name == "test") {
    static const char* filters[] = {"default", "d", "trim", "length", "count", "upper", "lower", "capitalize", "title",
                                    "string", "safe", "e", "escape", "forceescape", "replace", "tojson", "join",
                                    "first", "last", "list", "items", "reverse", "int", "float", "abs", "round",
                                    "indent", "center", "wordcount", "format", "attr", "unique", "sort", "dictsort",
                                    "min", "max", "sum", "map", "select", "reject", "selectattr", "rejectattr",
                                    "batch", "truncate"};
    static const char* tests[] = {"defined", "undefined", "none", "boolean", "true", "false", "integer", "float",
                                  "number", "string", "mapping", "sequence", "iterable", "callable", "escaped",
                                  "sameas", "eq", "equalto", "ne", "lt", "lessthan", "le", "gt", "greaterthan",
                                  "ge", "in", "odd", "even", "divisibleby", "lower", "upper", "filter", "test"};
    const std::string n = v.text();
    if (name == "filter") return std::any_of(std::begin(filters), std::end(filters), [&](const char* f) { return n == f; });
    return std::any_of(std::begin(tests), std::end(tests), [&](const char* f) { return n == f; });
  }
  fail("no test named '" + name + "'");
}

}  // namespace saturn::jinja
