// The Interp: Python's operators, attributes and methods on Jinja values,
// jinja2's filters and tests, and the globals transformers gives chat
// templates; the sandbox's checks.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>

#include "tokenize/jinja/interp.h"
#include "tokenize/jinja/utf8.h"

namespace saturn::jinja {

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

namespace {


const Value* arg(const Args& a, size_t pos, const char* name) {
  if (pos < a.positional.size()) return &a.positional[pos];
  for (const auto& [k, v] : a.named)
    if (k == name) return &v;
  return nullptr;
}

std::shared_ptr<Callable> fn(std::string name, std::function<Value(Args&)> f) {
  auto c = std::make_shared<Callable>();
  c->name = std::move(name);
  c->call = std::move(f);
  return c;
}

bool is_int(const Value& v) { return v.kind == Value::Kind::Int || v.kind == Value::Kind::Bool; }
int64_t as_int(const Value& v) { return v.kind == Value::Kind::Bool ? v.b : v.i; }
double as_num(const Value& v) { return v.kind == Value::Kind::Float ? v.f : static_cast<double>(as_int(v)); }

// Python's str.strip family over code points (chars: the set to strip; null: whitespace).
Str strip(const Str& s, const Value* chars, bool left, bool right) {
  const std::string& t = s.text;
  auto stripped = [&](uint32_t c) {
    if (!chars || chars->is_none()) return utf8::is_space(c);
    const std::string& set = chars->text();
    size_t len = 0;
    for (size_t i = 0; i < set.size(); i += len)
      if (utf8::decode(set, i, &len) == c) return true;
    return false;
  };
  size_t b = 0, e = t.size(), len = 0;
  if (left)
    while (b < e && stripped(utf8::decode(t, b, &len))) b += len;
  if (right)
    while (e > b) {
      size_t p = e - 1;
      while (p > b && (static_cast<unsigned char>(t[p]) & 0xC0) == 0x80) --p;
      if (!stripped(utf8::decode(t, p, &len))) break;
      e = p;
    }
  return substr(s, b, e);
}

// Python's str.split(sep, maxsplit), tags kept on the parts.
List split(const Str& s, const Value* sep, int64_t maxsplit, bool from_right) {
  List out;
  const std::string& t = s.text;
  if (!sep || sep->is_none()) {
    std::vector<std::pair<size_t, size_t>> words;
    size_t i = 0, len = 0;
    while (i < t.size()) {
      while (i < t.size() && utf8::is_space(utf8::decode(t, i, &len))) i += len;
      if (i >= t.size()) break;
      size_t j = i;
      while (j < t.size() && !utf8::is_space(utf8::decode(t, j, &len))) j += len;
      words.emplace_back(i, j);
      i = j;
    }
    if (maxsplit >= 0 && static_cast<int64_t>(words.size()) > maxsplit + 1) {
      if (!from_right) {
        size_t rest = words[static_cast<size_t>(maxsplit)].first;
        words.resize(static_cast<size_t>(maxsplit));
        Str tail = strip(substr(s, rest, t.size()), nullptr, false, true);
        for (auto& [b, e] : words) out.push_back(Value::string(substr(s, b, e)));
        out.push_back(Value::string(tail));
        return out;
      }
      const size_t keep = words.size() - static_cast<size_t>(maxsplit);
      Str head = strip(substr(s, 0, words[keep - 1].second), nullptr, true, false);
      out.push_back(Value::string(head));
      for (size_t k = keep; k < words.size(); ++k) out.push_back(Value::string(substr(s, words[k].first, words[k].second)));
      return out;
    }
    for (auto& [b, e] : words) out.push_back(Value::string(substr(s, b, e)));
    return out;
  }
  const std::string& d = sep->text();
  if (d.empty()) throw std::runtime_error("empty separator");
  std::vector<size_t> cuts;
  if (!from_right) {
    for (size_t p = t.find(d); p != std::string::npos && (maxsplit < 0 || static_cast<int64_t>(cuts.size()) < maxsplit);
         p = t.find(d, p + d.size()))
      cuts.push_back(p);
  } else {
    size_t end = t.size();
    while (maxsplit < 0 || static_cast<int64_t>(cuts.size()) < maxsplit) {
      if (end < d.size()) break;
      const size_t p = t.rfind(d, end - d.size());
      if (p == std::string::npos) break;
      cuts.push_back(p);
      if (p == 0) break;
      end = p;
    }
    std::reverse(cuts.begin(), cuts.end());
  }
  size_t b = 0;
  for (size_t c : cuts) {
    out.push_back(Value::string(substr(s, b, c)));
    b = c + d.size();
  }
  out.push_back(Value::string(substr(s, b, t.size())));
  return out;
}

std::string replace_all(const std::string& s, const std::string& from, const std::string& to, int64_t count) {
  std::string out;
  if (from.empty()) {  // Python inserts `to` around every code point
    const auto offs = utf8::offsets(s);
    int64_t n = 0;
    for (size_t k = 0; k + 1 < offs.size(); ++k) {
      if (count < 0 || n < count) {
        out += to;
        ++n;
      }
      out += s.substr(offs[k], offs[k + 1] - offs[k]);
    }
    if (count < 0 || n < count) out += to;
    return out;
  }
  size_t b = 0;
  int64_t n = 0;
  for (size_t p = s.find(from); p != std::string::npos && (count < 0 || n < count); p = s.find(from, b), ++n) {
    out += s.substr(b, p - b);
    out += to;
    b = p + from.size();
  }
  return out + s.substr(b);
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Python's "%s %d %r %f %x %%" % args.
std::string percent_format(const Interp& ip, const std::string& f, const std::vector<Value>& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out += f[i];
      continue;
    }
    if (++i >= f.size()) ip.fail("incomplete format");
    std::string spec = "%";
    while (i < f.size() && std::string("-+ 0#.0123456789").find(f[i]) != std::string::npos) spec += f[i++];
    if (i >= f.size()) ip.fail("incomplete format");
    const char c = f[i];
    if (c == '%') {
      out += '%';
      continue;
    }
    if (next >= args.size()) ip.fail("not enough arguments for format string");
    const Value& v = args[next++];
    char buf[512];
    if (c == 's') out += to_str(v).text;
    else if (c == 'r') out += repr(v);
    else if (c == 'd' || c == 'i') {
      if (!v.is_number()) ip.fail("%d format: a real number is required, not " + type_name(v));
      std::snprintf(buf, sizeof buf, (spec + "lld").c_str(), static_cast<long long>(is_int(v) ? as_int(v) : static_cast<int64_t>(v.f)));
      out += buf;
    } else if (c == 'f' || c == 'e' || c == 'g' || c == 'F' || c == 'E' || c == 'G') {
      if (!v.is_number()) ip.fail(std::string("%") + c + " format: a real number is required, not " + type_name(v));
      std::snprintf(buf, sizeof buf, (spec + c).c_str(), as_num(v));
      out += buf;
    } else if (c == 'x' || c == 'X' || c == 'o') {
      if (!is_int(v)) ip.fail(std::string("%") + c + " format: an integer is required, not " + type_name(v));
      std::snprintf(buf, sizeof buf, (spec + "ll" + c).c_str(), static_cast<long long>(as_int(v)));
      out += buf;
    } else {
      ip.fail(std::string("unsupported format character '") + c + "'");
    }
  }
  if (next < args.size()) ip.fail("not all arguments converted during string formatting");
  return out;
}

// Python's "{} {0} {name}".format(...) (no format specs beyond the field).
std::string brace_format(const Interp& ip, const std::string& f, const Args& a) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '{' && i + 1 < f.size() && f[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (f[i] == '}' && i + 1 < f.size() && f[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (f[i] == '{') {
      const size_t e = f.find('}', i);
      if (e == std::string::npos) ip.fail("Single '{' encountered in format string");
      std::string field = f.substr(i + 1, e - i - 1);
      const size_t colon = field.find(':');
      if (colon != std::string::npos) field = field.substr(0, colon);
      const Value* v = nullptr;
      if (field.empty()) {
        if (auto_index >= a.positional.size()) ip.fail("Replacement index out of range");
        v = &a.positional[auto_index++];
      } else if (std::all_of(field.begin(), field.end(), ::isdigit)) {
        const size_t k = std::stoul(field);
        if (k >= a.positional.size()) ip.fail("Replacement index out of range");
        v = &a.positional[k];
      } else {
        for (const auto& [k, x] : a.named)
          if (k == field) v = &x;
        if (!v) ip.fail("KeyError: '" + field + "'");
      }
      out += to_str(*v).text;
      i = e;
    } else {
      out += f[i];
    }
  }
  return out;
}

// Python ordering for sort, min, max, dictsort and < (numbers, strings, lists).
int order(const Interp& ip, const Value& a, const Value& b, bool case_sensitive = true) {
  if (a.is_number() && b.is_number()) {
    const double x = as_num(a), y = as_num(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_str() && b.is_str()) {
    if (case_sensitive) return a.text().compare(b.text()) < 0 ? -1 : a.text() == b.text() ? 0 : 1;
    const std::string x = utf8::lower(a.text()), y = utf8::lower(b.text());
    return x < y ? -1 : x == y ? 0 : 1;
  }
  if (a.is_list() && b.is_list()) {
    for (size_t k = 0; k < std::min(a.list->size(), b.list->size()); ++k) {
      const int c = order(ip, (*a.list)[k], (*b.list)[k], case_sensitive);
      if (c) return c;
    }
    return a.list->size() < b.list->size() ? -1 : a.list->size() > b.list->size() ? 1 : 0;
  }
  ip.fail("'<' not supported between instances of '" + type_name(a) + "' and '" + type_name(b) + "'");
}

int64_t py_floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
int64_t py_mod(int64_t a, int64_t b) {
  int64_t m = a % b;
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

}  // namespace

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
    return ints ? Value::integer(py_floordiv(x, y)) : Value::number(std::floor(p / q));
  }
  if (op == "%") {
    if (q == 0) fail("integer division or modulo by zero");
    if (ints) return Value::integer(py_mod(x, y));
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

Value Interp::attribute(const Value& obj, const std::string& name) {
  if (!name.empty() && name[0] == '_')
    fail("access to attribute '" + name + "' of '" + type_name(obj) + "' object is unsafe");
  auto method = [&](std::function<Value(Args&)> f) { return Value::function(fn(name, std::move(f))); };
  switch (obj.kind) {
    case Value::Kind::Undefined:
      fail("'" + (obj.name.empty() ? std::string("value") : obj.name) + "' is undefined");
    case Value::Kind::Dict: {
      if (obj.ns) {
        if (const Value* v = obj.dict->find(name)) return *v;
        return Value::undefined(name);
      }
      const auto d = obj.dict;
      if (name == "items")
        return method([d](Args&) {
          List l;
          for (const auto& [k, v] : d->items) l.push_back(Value::make_list({k, v}, true));
          return Value::make_list(std::move(l));
        });
      if (name == "keys")
        return method([d](Args&) {
          List l;
          for (const auto& [k, v] : d->items) l.push_back(k);
          return Value::make_list(std::move(l));
        });
      if (name == "values")
        return method([d](Args&) {
          List l;
          for (const auto& [k, v] : d->items) l.push_back(v);
          return Value::make_list(std::move(l));
        });
      if (name == "get")
        return method([d, this](Args& a) {
          if (a.positional.empty()) fail("get expected at least 1 argument, got 0");
          if (const Value* v = d->find(a.positional[0])) return *v;
          return a.positional.size() > 1 ? a.positional[1] : Value::none();
        });
      if (name == "copy") return method([obj](Args&) { Value c = Value::make_dict(); *c.dict = *obj.dict; return c; });
      if (name == "pop" || name == "popitem" || name == "update" || name == "setdefault" || name == "clear")
        fail("access to attribute '" + name + "' of 'dict' object is unsafe");
      if (const Value* v = obj.dict->find(name)) return *v;
      return Value::undefined(name);
    }
    case Value::Kind::List: {
      const auto l = obj.list;
      if (name == "index")
        return method([l, this](Args& a) {
          if (a.positional.empty()) fail("index expected 1 argument");
          for (size_t k = 0; k < l->size(); ++k)
            if (equal((*l)[k], a.positional[0])) return Value::integer(static_cast<int64_t>(k));
          fail(repr(a.positional[0]) + " is not in list");
        });
      if (name == "count")
        return method([l](Args& a) {
          int64_t n = 0;
          for (const Value& v : *l) n += !a.positional.empty() && equal(v, a.positional[0]);
          return Value::integer(n);
        });
      if (name == "append" || name == "extend" || name == "insert" || name == "pop" || name == "remove" ||
          name == "sort" || name == "reverse" || name == "clear")
        fail("access to attribute '" + name + "' of '" + type_name(obj) + "' object is unsafe");
      return Value::undefined(name);
    }
    case Value::Kind::Str: {
      const auto s = obj.s;
      if (name == "strip" || name == "lstrip" || name == "rstrip") {
        const bool l = name != "rstrip", r = name != "lstrip";
        return method([s, l, r](Args& a) { return Value::string(strip(*s, arg(a, 0, "chars"), l, r)); });
      }
      if (name == "split" || name == "rsplit") {
        const bool right = name == "rsplit";
        return method([s, right, this](Args& a) {
          const Value* m = arg(a, 1, "maxsplit");
          try {
            return Value::make_list(split(*s, arg(a, 0, "sep"), m ? as_int(*m) : -1, right));
          } catch (const std::runtime_error& e) {
            fail(e.what());
          }
        });
      }
      if (name == "splitlines")
        return method([s](Args&) {
          List l;
          size_t b = 0;
          const std::string& t = s->text;
          for (size_t i = 0; i < t.size(); ++i) {
            if (t[i] == '\n' || t[i] == '\r') {
              l.push_back(Value::string(substr(*s, b, i)));
              if (t[i] == '\r' && i + 1 < t.size() && t[i + 1] == '\n') ++i;
              b = i + 1;
            }
          }
          if (b < t.size()) l.push_back(Value::string(substr(*s, b, t.size())));
          return Value::make_list(std::move(l));
        });
      if (name == "startswith" || name == "endswith") {
        const bool start = name == "startswith";
        return method([s, start, this](Args& a) {
          if (a.positional.empty()) fail(std::string(start ? "startswith" : "endswith") + " takes at least 1 argument");
          const Value& p = a.positional[0];
          std::vector<Value> options = p.is_list() ? *p.list : std::vector<Value>{p};
          for (const Value& o : options) {
            if (!o.is_str()) fail("the argument must be str or a tuple of str, not " + type_name(o));
            const std::string& x = o.text();
            const std::string& t = s->text;
            if (x.size() <= t.size() && (start ? t.compare(0, x.size(), x) == 0 : t.compare(t.size() - x.size(), x.size(), x) == 0))
              return Value::boolean(true);
          }
          return Value::boolean(false);
        });
      }
      if (name == "upper") return method([s](Args&) { return Value::string(retag(utf8::upper(s->text), *s)); });
      if (name == "lower") return method([s](Args&) { return Value::string(retag(utf8::lower(s->text), *s)); });
      if (name == "title") return method([s](Args&) { return Value::string(retag(utf8::title(s->text), *s)); });
      if (name == "capitalize") return method([s](Args&) { return Value::string(retag(utf8::capitalize(s->text), *s)); });
      if (name == "replace")
        return method([s, this](Args& a) {
          if (a.positional.size() < 2 || !a.positional[0].is_str() || !a.positional[1].is_str()) fail("replace expects two strings");
          const int64_t count = a.positional.size() > 2 ? as_int(a.positional[2]) : -1;
          const std::string r = replace_all(s->text, a.positional[0].text(), a.positional[1].text(), count);
          check_size(r.size());
          return Value::string(retag(r, *s));
        });
      if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
        return method([s, name, this](Args& a) {
          if (a.positional.empty() || !a.positional[0].is_str()) fail(name + " expects a string");
          const std::string& x = a.positional[0].text();
          const std::string& t = s->text;
          if (name == "count") {
            if (x.empty()) return Value::integer(static_cast<int64_t>(utf8::length(t)) + 1);
            int64_t n = 0;
            for (size_t p = t.find(x); p != std::string::npos; p = t.find(x, p + x.size())) ++n;
            return Value::integer(n);
          }
          const size_t p = name[0] == 'r' ? t.rfind(x) : t.find(x);
          if (p == std::string::npos) {
            if (name == "index" || name == "rindex") fail("substring not found");
            return Value::integer(-1);
          }
          return Value::integer(static_cast<int64_t>(utf8::length(t.substr(0, p))));
        });
      }
      if (name == "join")
        return method([s, this](Args& a) {
          if (a.positional.empty()) fail("join takes exactly one argument");
          Str out;
          bool first = true;
          for (const Value& v : iterate(a.positional[0])) {
            if (!v.is_str()) fail("sequence item: expected str instance, " + type_name(v) + " found");
            if (!first) append(out, *s);
            first = false;
            append(out, *v.s);
            check_size(out.text.size());
          }
          return Value::string(std::move(out));
        });
      if (name == "format") return method([s, this](Args& a) { return Value::string(retag(brace_format(*this, s->text, a), *s)); });
      if (name == "isdigit" || name == "isalpha" || name == "isalnum" || name == "isspace" || name == "isupper" ||
          name == "islower" || name == "isnumeric" || name == "isdecimal")
        return method([s, name](Args&) {
          const std::string& t = s->text;
          if (t.empty()) return Value::boolean(false);
          if (name == "isupper") return Value::boolean(utf8::upper(t) == t && utf8::lower(t) != t);
          if (name == "islower") return Value::boolean(utf8::lower(t) == t && utf8::upper(t) != t);
          size_t len = 0;
          for (size_t i = 0; i < t.size(); i += len) {
            const uint32_t c = utf8::decode(t, i, &len);
            const bool digit = c >= '0' && c <= '9', alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
            bool ok = name == "isspace" ? utf8::is_space(c) : name == "isalpha" ? alpha : name == "isalnum" ? alpha || digit : digit;
            if (!ok) return Value::boolean(false);
          }
          return Value::boolean(true);
        });
      return Value::undefined(name);
    }
    case Value::Kind::Func: return Value::undefined(name);
    default: return Value::undefined(name);
  }
}

Value Interp::call(const Value& f, Args& args) {
  if (f.kind != Value::Kind::Func) fail("'" + type_name(f) + "' object is not callable");
  return f.fn->call(args);
}

Value Interp::global(const std::string& name) const {
  Interp* self = const_cast<Interp*>(this);
  if (name == "range")
    return Value::function(fn("range", [self](Args& a) {
      int64_t start = 0, stop = 0, step = 1;
      for (const Value& v : a.positional)
        if (!is_int(v)) self->fail("'" + type_name(v) + "' object cannot be interpreted as an integer");
      if (a.positional.size() == 1) stop = as_int(a.positional[0]);
      else if (a.positional.size() >= 2) {
        start = as_int(a.positional[0]);
        stop = as_int(a.positional[1]);
        if (a.positional.size() > 2) step = as_int(a.positional[2]);
      } else self->fail("range expected at least 1 argument, got 0");
      if (step == 0) self->fail("range() arg 3 must not be zero");
      const int64_t n = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0) : (start > stop ? (start - stop - step - 1) / -step : 0);
      if (n > 100000) self->fail("range too big, maximum size for range is 100000");
      List l;
      for (int64_t k = 0; k < n; ++k) l.push_back(Value::integer(start + k * step));
      return Value::make_list(std::move(l));
    }));
  if (name == "dict")
    return Value::function(fn("dict", [self](Args& a) {
      Value d = Value::make_dict();
      if (!a.positional.empty()) {
        const Value& src = a.positional[0];
        if (src.is_dict()) *d.dict = *src.dict;
        else
          for (const Value& kv : self->iterate(src)) {
            if (!kv.is_list() || kv.list->size() != 2) self->fail("dictionary update sequence element has the wrong length");
            d.dict->set((*kv.list)[0], (*kv.list)[1]);
          }
      }
      for (auto& [k, v] : a.named) d.dict->set(Value::string(k), v);
      return d;
    }));
  if (name == "namespace")
    return Value::function(fn("namespace", [self](Args& a) {
      Value d = Value::make_dict();
      d.ns = true;
      if (!a.positional.empty() && a.positional[0].is_dict())
        for (const auto& [k, v] : a.positional[0].dict->items) d.dict->set(k, v);
      for (auto& [k, v] : a.named) {
        if (!k.empty() && k[0] == '_') self->fail("a namespace attribute cannot start with '_': " + k);
        d.dict->set(Value::string(k), v);
      }
      return d;
    }));
  if (name == "raise_exception")
    return Value::function(fn("raise_exception", [self](Args& a) -> Value {
      self->fail("raise_exception: " + (a.positional.empty() ? std::string() : to_str(a.positional[0]).text));
    }));
  if (name == "strftime_now")
    return Value::function(fn("strftime_now", [self](Args& a) {
      if (a.positional.empty() || !a.positional[0].is_str()) self->fail("strftime_now takes a format string");
      std::tm tm{};
      const std::time_t t = self->options().now;
      localtime_r(&t, &tm);
      char buf[512];
      const size_t n = std::strftime(buf, sizeof buf, a.positional[0].text().c_str(), &tm);
      return Value::string(std::string(buf, n));
    }));
  if (name == "cycler")
    return Value::function(fn("cycler", [](Args& a) {
      auto items = std::make_shared<std::vector<Value>>(a.positional);
      auto pos = std::make_shared<size_t>(0);
      Value ns = Value::make_dict();
      ns.ns = true;
      ns.dict->set(Value::string("next"), Value::function(fn("next", [items, pos](Args&) {
        if (items->empty()) return Value::none();
        Value v = (*items)[*pos % items->size()];
        ++*pos;
        return v;
      })));
      ns.dict->set(Value::string("reset"), Value::function(fn("reset", [pos](Args&) { *pos = 0; return Value::none(); })));
      return ns;
    }));
  if (name == "joiner")
    return Value::function(fn("joiner", [](Args& a) {
      const Value sep = a.positional.empty() ? Value::string(", ") : a.positional[0];
      auto used = std::make_shared<bool>(false);
      return Value::function(fn("joiner", [sep, used](Args&) {
        if (!*used) {
          *used = true;
          return Value::string("");
        }
        return sep;
      }));
    }));
  return Value::undefined(name);
}

// ---- filters ----------------------------------------------------------

Value Interp::filter(const std::string& name, const Value& v, Args& a) {
  if (++depth > o_.limits.max_depth) fail("filter calls nest deeper than " + std::to_string(o_.limits.max_depth));
  struct Depth {
    int& d;
    ~Depth() { --d; }
  } guard{depth};
  auto need_str = [&](const Value& x) -> const Str& {
    if (!x.is_str()) fail("the " + name + " filter expects a string, got " + type_name(x));
    return *x.s;
  };
  if (name == "default" || name == "d") {
    const Value* dflt = arg(a, 0, "default_value");
    const Value* boolean = arg(a, 1, "boolean");
    const bool use = v.is_undefined() || (boolean && truthy(*boolean) && !truthy(v));
    return use ? (dflt ? *dflt : Value::string("")) : v;
  }
  if (name == "trim") {
    if (v.is_undefined()) return Value::string("");
    return Value::string(strip(to_str(v), arg(a, 0, "chars"), true, true));
  }
  if (name == "length" || name == "count") {
    if (v.is_str()) return Value::integer(static_cast<int64_t>(utf8::length(v.text())));
    if (v.is_list()) return Value::integer(static_cast<int64_t>(v.list->size()));
    if (v.is_dict()) return Value::integer(static_cast<int64_t>(v.dict->items.size()));
    if (v.is_undefined()) return Value::integer(0);
    fail("object of type '" + type_name(v) + "' has no len()");
  }
  if (name == "upper") return Value::string(retag(utf8::upper(to_str(v).text), to_str(v)));
  if (name == "lower") return Value::string(retag(utf8::lower(to_str(v).text), to_str(v)));
  if (name == "capitalize") return Value::string(retag(utf8::capitalize(to_str(v).text), to_str(v)));
  if (name == "title") {  // jinja2's: each chunk after -, whitespace, (, {, [ or < gets an upper first letter, the rest lower
    const Str s = to_str(v);
    std::string out;
    bool start = true;
    size_t len = 0;
    for (size_t i = 0; i < s.text.size(); i += len) {
      const uint32_t c = utf8::decode(s.text, i, &len);
      const bool sep = utf8::is_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
      const std::string ch = s.text.substr(i, len);
      out += sep ? ch : start ? utf8::upper(ch) : utf8::lower(ch);
      start = sep;
    }
    return Value::string(retag(out, s));
  }
  if (name == "string") return Value::string(to_str(v));
  if (name == "safe") return v;
  if (name == "e" || name == "escape" || name == "forceescape") return Value::string(retag(html_escape(to_str(v).text), to_str(v)));
  if (name == "replace") {
    const Str s = to_str(v);
    const Value* from = arg(a, 0, "old");
    const Value* to = arg(a, 1, "new");
    const Value* count = arg(a, 2, "count");
    if (!from || !to) fail("replace needs an old and a new string");
    const std::string r = replace_all(s.text, to_str(*from).text, to_str(*to).text, count && !count->is_none() ? as_int(*count) : -1);
    check_size(r.size());
    return Value::string(retag(r, s));
  }
  if (name == "tojson") {
    const Value* ascii = arg(a, 0, "ensure_ascii");
    const Value* indent = arg(a, 1, "indent");
    const Value* seps = arg(a, 2, "separators");
    const Value* sort = arg(a, 3, "sort_keys");
    const int ind = indent && !indent->is_none() ? static_cast<int>(as_int(*indent)) : -1;
    std::string item_sep = ind < 0 ? ", " : ",", key_sep = ": ";
    if (seps && seps->is_list() && seps->list->size() == 2) {
      item_sep = (*seps->list)[0].text();
      key_sep = (*seps->list)[1].text();
    }
    try {
      std::string j = to_json(v, ascii && truthy(*ascii), ind, item_sep, key_sep, sort && truthy(*sort));
      check_size(j.size());
      return Value::string(std::move(j), first_tag(v));  // a message's value as JSON is still that message's
    } catch (const std::runtime_error& e) {
      fail(e.what());
    }
  }
  if (name == "join") {
    const Value* sep = arg(a, 0, "d");
    const Value* attr = arg(a, 1, "attribute");
    Str out;
    bool first = true;
    const Str s = sep ? to_str(*sep) : Str{};
    for (const Value& x : iterate(v)) {
      if (!first) append(out, s);
      first = false;
      append(out, to_str(attr ? attribute(x, to_str(*attr).text) : x));
      check_size(out.text.size());
    }
    return Value::string(std::move(out));
  }
  if (name == "first" || name == "last") {
    const std::vector<Value> items = iterate(v);
    if (items.empty()) return Value::undefined(name);
    return name == "first" ? items.front() : items.back();
  }
  if (name == "list") return Value::make_list(iterate(v));
  if (name == "items") {
    if (v.is_undefined()) return Value::make_list();
    if (!v.is_dict()) fail("can only get item pairs from a mapping, not " + type_name(v));
    List l;
    for (const auto& [k, x] : v.dict->items) l.push_back(Value::make_list({k, x}, true));
    return Value::make_list(std::move(l));
  }
  if (name == "reverse") {
    if (v.is_str()) {
      const auto offs = utf8::offsets(v.text());
      std::string r;
      for (size_t k = offs.size() - 1; k > 0; --k) r += v.text().substr(offs[k - 1], offs[k] - offs[k - 1]);
      return Value::string(retag(r, *v.s));
    }
    std::vector<Value> items = iterate(v);
    std::reverse(items.begin(), items.end());
    return Value::make_list(std::move(items));
  }
  if ((name == "int" || name == "float") && v.is_undefined()) fail("'" + (v.name.empty() ? std::string("value") : v.name) + "' is undefined");
  if (name == "int") {
    const Value* dflt = arg(a, 0, "default");
    const Value d = dflt ? *dflt : Value::integer(0);
    if (is_int(v)) return Value::integer(as_int(v));
    if (v.kind == Value::Kind::Float) return std::isfinite(v.f) ? Value::integer(static_cast<int64_t>(v.f)) : d;
    if (v.is_str()) {
      std::string t = strip(*v.s, nullptr, true, true).text;
      t.erase(std::remove(t.begin(), t.end(), '_'), t.end());
      char* end = nullptr;
      const long long n = std::strtoll(t.c_str(), &end, 10);
      if (!t.empty() && end && *end == 0) return Value::integer(n);
      const double f = std::strtod(t.c_str(), &end);
      if (!t.empty() && end && *end == 0 && std::isfinite(f)) return Value::integer(static_cast<int64_t>(f));
    }
    return d;
  }
  if (name == "float") {
    const Value* dflt = arg(a, 0, "default");
    if (v.is_number()) return Value::number(as_num(v));
    if (v.is_str()) {
      const std::string t = strip(*v.s, nullptr, true, true).text;
      char* end = nullptr;
      const double f = std::strtod(t.c_str(), &end);
      if (!t.empty() && end && *end == 0) return Value::number(f);
    }
    return dflt ? *dflt : Value::number(0.0);
  }
  if (name == "abs") {
    if (is_int(v)) return Value::integer(std::llabs(as_int(v)));
    if (v.kind == Value::Kind::Float) return Value::number(std::fabs(v.f));
    fail("bad operand type for abs(): '" + type_name(v) + "'");
  }
  if (name == "round") {
    const Value* prec = arg(a, 0, "precision");
    const Value* how = arg(a, 1, "method");
    const int p = prec ? static_cast<int>(as_int(*prec)) : 0;
    const std::string m = how ? to_str(*how).text : "common";
    if (!v.is_number()) fail("round expects a number, got " + type_name(v));
    if (is_int(v) && m == "common") return Value::integer(as_int(v));
    const double scale = std::pow(10.0, p), x = as_num(v) * scale;
    const double r = m == "ceil" ? std::ceil(x) : m == "floor" ? std::floor(x) : std::nearbyint(x);  // Python's: half to even
    return Value::number(r / scale);
  }
  if (name == "indent") {
    const Value* width = arg(a, 0, "width");
    const Value* first = arg(a, 1, "first");
    const Value* blank = arg(a, 2, "blank");
    const std::string pad = width && width->is_str() ? width->text() : std::string(width ? static_cast<size_t>(as_int(*width)) : 4, ' ');
    const std::string s = to_str(v).text;
    std::string out;
    size_t b = 0;
    bool first_line = true;
    while (b <= s.size()) {
      size_t e = s.find('\n', b);
      const bool last = e == std::string::npos;
      if (last) e = s.size();
      const std::string line = s.substr(b, e - b);
      const bool add = first_line ? (first && truthy(*first)) : (!line.empty() || (blank && truthy(*blank)));
      if (add) out += pad;
      out += line;
      if (last) break;
      out += '\n';
      b = e + 1;
      first_line = false;
    }
    return Value::string(retag(out, to_str(v)));
  }
  if (name == "center") {
    const Value* width = arg(a, 0, "width");
    const std::string s = to_str(v).text;
    const size_t w = width ? static_cast<size_t>(as_int(*width)) : 80, n = utf8::length(s);
    if (n >= w) return Value::string(s);
    const size_t total = w - n, left = total / 2 + (total & w & 1);
    return Value::string(std::string(left, ' ') + s + std::string(total - left, ' '));
  }
  if (name == "wordcount") {
    const Str s = to_str(v);
    return Value::integer(static_cast<int64_t>(split(s, nullptr, -1, false).size()));
  }
  if (name == "format") {
    std::vector<Value> args = a.positional;
    return Value::string(percent_format(*this, to_str(v).text, args));
  }
  if (name == "attr") {
    const Value* n = arg(a, 0, "name");
    if (!n) fail("attr needs a name");
    if (v.is_dict() && !v.ns) {  // getattr only: a dict's methods, never its items
      const std::string key = to_str(*n).text;
      static const char* methods[] = {"items", "keys", "values", "get", "copy"};
      if (std::none_of(std::begin(methods), std::end(methods), [&](const char* x) { return key == x; })) return Value::undefined(key);
    }
    return attribute(v, to_str(*n).text);
  }
  if (name == "unique") {  // case-insensitive unless case_sensitive=true
    const Value* cs = arg(a, 0, "case_sensitive");
    const bool sensitive = cs && truthy(*cs);
    auto key = [&](const Value& x) { return !sensitive && x.is_str() ? Value::string(utf8::lower(x.text())) : x; };
    List out, keys;
    for (const Value& x : iterate(v)) {
      const Value k = key(x);
      if (std::none_of(keys.begin(), keys.end(), [&](const Value& y) { return equal(k, y); })) {
        out.push_back(x);
        keys.push_back(k);
      }
    }
    return Value::make_list(std::move(out));
  }
  if (name == "sort" || name == "dictsort") {
    const bool dict = name == "dictsort";
    const Value* rev = arg(a, dict ? 2 : 0, "reverse");
    const Value* cs = arg(a, dict ? 0 : 1, "case_sensitive");
    const Value* attr = dict ? nullptr : arg(a, 2, "attribute");
    const Value* by = dict ? arg(a, 1, "by") : nullptr;
    List items;
    if (dict) {
      if (!v.is_dict()) fail("dictsort expects a mapping, got " + type_name(v));
      for (const auto& [k, x] : v.dict->items) items.push_back(Value::make_list({k, x}, true));
    } else {
      items = iterate(v);
    }
    const bool sensitive = cs && truthy(*cs);
    const size_t pos = by && to_str(*by).text == "value" ? 1 : 0;
    auto key = [&](const Value& x) -> Value {
      if (dict) return (*x.list)[pos];
      if (attr) return attribute(x, to_str(*attr).text);
      return x;
    };
    std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) { return order(*this, key(x), key(y), sensitive) < 0; });
    if (rev && truthy(*rev)) std::reverse(items.begin(), items.end());
    return Value::make_list(std::move(items));
  }
  if (name == "min" || name == "max") {
    const std::vector<Value> items = iterate(v);
    if (items.empty()) return Value::undefined(name);
    const Value* cs = arg(a, 0, "case_sensitive");
    const Value* attr = arg(a, 1, "attribute");
    auto key = [&](const Value& x) { return attr ? attribute(x, to_str(*attr).text) : x; };
    Value best = items[0];
    for (const Value& x : items) {
      const int c = order(*this, key(x), key(best), cs && truthy(*cs));
      if (name == "min" ? c < 0 : c > 0) best = x;
    }
    return best;
  }
  if (name == "sum") {
    const Value* attr = arg(a, 0, "attribute");
    const Value* start = arg(a, 1, "start");
    Value total = start ? *start : Value::integer(0);
    for (const Value& x : iterate(v)) total = binary("+", total, attr ? attribute(x, to_str(*attr).text) : x);
    return total;
  }
  if (name == "map") {
    List out;
    const Value* attr = arg(a, 99, "attribute");
    if (attr) {
      const Value* dflt = arg(a, 99, "default");
      for (const Value& x : iterate(v)) {
        Value y = attribute(x, to_str(*attr).text);
        out.push_back(y.is_undefined() && dflt ? *dflt : y);
      }
      return Value::make_list(std::move(out));
    }
    if (a.positional.empty()) fail("map needs a filter name or attribute=");
    const std::string f = to_str(a.positional[0]).text;
    Args rest;
    rest.positional.assign(a.positional.begin() + 1, a.positional.end());
    rest.named = a.named;
    for (const Value& x : iterate(v)) {
      Args copy = rest;
      out.push_back(filter(f, x, copy));
    }
    return Value::make_list(std::move(out));
  }
  if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr") {
    const bool attr_form = name.size() > 6 && name.substr(name.size() - 4) == "attr";
    const bool keep = name[0] == 's';
    size_t k = 0;
    std::string attr;
    if (attr_form) {
      if (a.positional.empty()) fail(name + " needs an attribute name");
      attr = to_str(a.positional[k++]).text;
    }
    std::string t;
    if (k < a.positional.size()) t = to_str(a.positional[k++]).text;
    Args rest;
    rest.positional.assign(a.positional.begin() + static_cast<long>(k), a.positional.end());
    List out;
    for (const Value& x : iterate(v)) {
      const Value subject = attr_form ? attribute(x, attr) : x;
      bool pass;
      if (t.empty()) pass = truthy(subject);
      else {
        Args copy = rest;
        pass = test(t, subject, copy);
      }
      if (pass == keep) out.push_back(x);
    }
    return Value::make_list(std::move(out));
  }
  if (name == "batch") {
    const Value* n = arg(a, 0, "linecount");
    const Value* fill = arg(a, 1, "fill_with");
    const int64_t size = n ? as_int(*n) : 1;
    if (size <= 0) fail("batch size must be positive");
    List out, cur;
    for (const Value& x : iterate(v)) {
      cur.push_back(x);
      if (static_cast<int64_t>(cur.size()) == size) {
        out.push_back(Value::make_list(std::move(cur)));
        cur.clear();
      }
    }
    if (!cur.empty()) {
      while (fill && static_cast<int64_t>(cur.size()) < size) cur.push_back(*fill);
      out.push_back(Value::make_list(std::move(cur)));
    }
    return Value::make_list(std::move(out));
  }
  if (name == "truncate") {
    const Value* len = arg(a, 0, "length");
    const Value* killwords = arg(a, 1, "killwords");
    const Value* end = arg(a, 2, "end");
    const Value* leeway = arg(a, 3, "leeway");
    const std::string s = to_str(v).text;
    const size_t n = len ? static_cast<size_t>(as_int(*len)) : 255, lw = leeway ? static_cast<size_t>(as_int(*leeway)) : 5;
    const std::string e = end ? to_str(*end).text : "...";
    const auto offs = utf8::offsets(s);
    const size_t cps = offs.size() - 1;
    if (cps <= n + lw) return Value::string(s);
    std::string head = s.substr(0, offs[std::min(cps, n >= utf8::length(e) ? n - utf8::length(e) : 0)]);
    if (killwords && truthy(*killwords)) return Value::string(head + e);
    const size_t sp = head.rfind(' ');
    if (sp != std::string::npos) head = head.substr(0, sp);
    return Value::string(head + e);
  }
  (void)need_str;
  fail("no filter named '" + name + "'");
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
