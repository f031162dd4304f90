#include "tokenize/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "tokenize/jinja/utf8.h"

namespace saturn::jinja {

Value Value::string(std::string x, int tag) {
  Value v;
  v.kind = Kind::Str;
  auto s = std::make_shared<Str>();
  s->text = std::move(x);
  if (tag >= 0) s->tags.push_back({0, s->text.size(), tag});
  v.s = std::move(s);
  return v;
}

Value Value::string(Str x) {
  Value v;
  v.kind = Kind::Str;
  v.s = std::make_shared<Str>(std::move(x));
  return v;
}

Value Value::make_list(List items, bool tuple) {
  Value v;
  v.kind = Kind::List;
  v.tuple = tuple;
  v.list = std::make_shared<List>(std::move(items));
  return v;
}

Value Value::make_dict() {
  Value v;
  v.kind = Kind::Dict;
  v.dict = std::make_shared<Dict>();
  return v;
}

Value Value::function(std::shared_ptr<Callable> f) {
  Value v;
  v.kind = Kind::Func;
  v.fn = std::move(f);
  return v;
}

const std::string& Value::text() const {
  static const std::string empty;
  return kind == Kind::Str ? s->text : empty;
}

const Value* Dict::find(const Value& key) const {
  for (const auto& [k, v] : items)
    if (equal(k, key)) return &v;
  return nullptr;
}

const Value* Dict::find(const std::string& key) const {
  for (const auto& [k, v] : items)
    if (k.kind == Value::Kind::Str && k.s->text == key) return &v;
  return nullptr;
}

void Dict::set(const Value& key, Value v) {
  for (auto& [k, old] : items)
    if (equal(k, key)) {
      old = std::move(v);
      return;
    }
  items.emplace_back(key, std::move(v));
}

bool truthy(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Undefined:
    case Value::Kind::None: return false;
    case Value::Kind::Bool: return v.b;
    case Value::Kind::Int: return v.i != 0;
    case Value::Kind::Float: return v.f != 0;
    case Value::Kind::Str: return !v.s->text.empty();
    case Value::Kind::List: return !v.list->empty();
    case Value::Kind::Dict: return !v.dict->items.empty();
    case Value::Kind::Func: return true;
  }
  return false;
}

namespace {
double as_double(const Value& v) {
  return v.kind == Value::Kind::Float ? v.f : v.kind == Value::Kind::Int ? static_cast<double>(v.i) : v.b ? 1.0 : 0.0;
}
}  // namespace

bool equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.kind != Value::Kind::Float && b.kind != Value::Kind::Float) {
      const int64_t x = a.kind == Value::Kind::Int ? a.i : a.b, y = b.kind == Value::Kind::Int ? b.i : b.b;
      return x == y;
    }
    return as_double(a) == as_double(b);
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::Undefined:
    case Value::Kind::None: return true;
    case Value::Kind::Str: return a.s->text == b.s->text;
    case Value::Kind::List:
      if (a.tuple != b.tuple || a.list->size() != b.list->size()) return false;
      for (size_t k = 0; k < a.list->size(); ++k)
        if (!equal((*a.list)[k], (*b.list)[k])) return false;
      return true;
    case Value::Kind::Dict:
      if (a.dict->items.size() != b.dict->items.size()) return false;
      for (const auto& [k, v] : a.dict->items) {
        const Value* w = b.dict->find(k);
        if (!w || !equal(v, *w)) return false;
      }
      return true;
    case Value::Kind::Func: return a.fn == b.fn;
    default: return false;
  }
}

std::string type_name(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Undefined: return "Undefined";
    case Value::Kind::None: return "NoneType";
    case Value::Kind::Bool: return "bool";
    case Value::Kind::Int: return "int";
    case Value::Kind::Float: return "float";
    case Value::Kind::Str: return "str";
    case Value::Kind::List: return v.tuple ? "tuple" : "list";
    case Value::Kind::Dict: return v.ns ? "Namespace" : "dict";
    case Value::Kind::Func: return "function";
  }
  return "object";
}

std::string float_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x < 0 ? "-inf" : "inf";
  if (x == 0) return std::signbit(x) ? "-0.0" : "0.0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string sci(buf, r.ptr);  // [-]d[.ddd]e[+-]XX
  const bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  const size_t e_at = sci.find('e');
  std::string digits = sci.substr(0, e_at);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exp = std::stoi(sci.substr(e_at + 1));
  std::string out;
  if (exp >= -5 + 1 && exp < 16) {  // Python: positional when -4 <= exp < 16
    if (exp < 0) {
      out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
      out = digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, static_cast<size_t>(exp) + 1) + "." + digits.substr(static_cast<size_t>(exp) + 1);
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char e[16];
    std::snprintf(e, sizeof e, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += e;
  }
  return neg ? "-" + out : out;
}

namespace {

std::string str_repr(const std::string& s) {
  const bool dq = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
  const char q = dq ? '"' : '\'';
  std::string out(1, q);
  for (unsigned char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == static_cast<unsigned char>(q)) out += std::string("\\") + q;
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7F) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else out += static_cast<char>(c);
  }
  return out + q;
}

void json_string(std::string& out, const std::string& s, bool ascii) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    char b[16];
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c == '\b') out += "\\b";
    else if (c == '\f') out += "\\f";
    else if (c < 0x20) {
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else if (c >= 0x80 && ascii) {
      size_t len = 1;
      uint32_t cp = utf8::decode(s, i, &len);
      if (cp >= 0x10000) {
        cp -= 0x10000;
        std::snprintf(b, sizeof b, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
      } else {
        std::snprintf(b, sizeof b, "\\u%04x", cp);
      }
      out += b;
      i += len;
      continue;
    } else out += static_cast<char>(c);
    ++i;
  }
  out += '"';
}

std::string json_key(const Value& k) {
  switch (k.kind) {
    case Value::Kind::Str: return k.s->text;
    case Value::Kind::Bool: return k.b ? "true" : "false";
    case Value::Kind::None: return "null";
    case Value::Kind::Int: return std::to_string(k.i);
    case Value::Kind::Float: return float_repr(k.f);
    default: throw std::runtime_error("keys must be str, int, float, bool or None, not " + type_name(k));
  }
}

void json_value(std::string& out, const Value& v, bool ascii, int indent, int depth, const std::string& item_sep,
                const std::string& key_sep, bool sort_keys) {
  auto newline = [&](int d) {
    if (indent < 0) return;
    out += '\n';
    out.append(static_cast<size_t>(indent) * static_cast<size_t>(d), ' ');
  };
  switch (v.kind) {
    case Value::Kind::None: out += "null"; return;
    case Value::Kind::Bool: out += v.b ? "true" : "false"; return;
    case Value::Kind::Int: out += std::to_string(v.i); return;
    case Value::Kind::Float:
      out += std::isnan(v.f) ? "NaN" : std::isinf(v.f) ? (v.f < 0 ? "-Infinity" : "Infinity") : float_repr(v.f);
      return;
    case Value::Kind::Str: json_string(out, v.s->text, ascii); return;
    case Value::Kind::List: {
      if (v.list->empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t k = 0; k < v.list->size(); ++k) {
        if (k) out += item_sep;
        newline(depth + 1);
        json_value(out, (*v.list)[k], ascii, indent, depth + 1, item_sep, key_sep, sort_keys);
      }
      newline(depth);
      out += ']';
      return;
    }
    case Value::Kind::Dict: {
      if (v.dict->items.empty()) {
        out += "{}";
        return;
      }
      std::vector<std::pair<std::string, const Value*>> items;
      for (const auto& [k, x] : v.dict->items) items.emplace_back(json_key(k), &x);
      if (sort_keys)
        std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      out += '{';
      for (size_t k = 0; k < items.size(); ++k) {
        if (k) out += item_sep;
        newline(depth + 1);
        json_string(out, items[k].first, ascii);
        out += key_sep;
        json_value(out, *items[k].second, ascii, indent, depth + 1, item_sep, key_sep, sort_keys);
      }
      newline(depth);
      out += '}';
      return;
    }
    case Value::Kind::Undefined:
    case Value::Kind::Func: break;
  }
  throw std::runtime_error("Object of type " + type_name(v) + " is not JSON serializable");
}

}  // namespace

std::string repr(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Undefined: return "Undefined";
    case Value::Kind::None: return "None";
    case Value::Kind::Bool: return v.b ? "True" : "False";
    case Value::Kind::Int: return std::to_string(v.i);
    case Value::Kind::Float: return float_repr(v.f);
    case Value::Kind::Str: return str_repr(v.s->text);
    case Value::Kind::List: {
      std::string out = v.tuple ? "(" : "[";
      for (size_t k = 0; k < v.list->size(); ++k) {
        if (k) out += ", ";
        out += repr((*v.list)[k]);
      }
      if (v.tuple && v.list->size() == 1) out += ",";
      return out + (v.tuple ? ")" : "]");
    }
    case Value::Kind::Dict: {
      if (v.ns) return "<Namespace>";
      std::string out = "{";
      bool first = true;
      for (const auto& [k, x] : v.dict->items) {
        if (!first) out += ", ";
        first = false;
        out += repr(k) + ": " + repr(x);
      }
      return out + "}";
    }
    case Value::Kind::Func: return "<function " + v.fn->name + ">";
  }
  return "";
}

Str to_str(const Value& v) {
  if (v.kind == Value::Kind::Str) return *v.s;
  Str out;
  if (v.kind != Value::Kind::Undefined) out.text = repr(v);
  if (const int t = first_tag(v); t >= 0) out.tags.push_back({0, out.text.size(), t});  // a message's list or dict, written out
  return out;
}

int first_tag(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Str: return v.s->tags.empty() ? -1 : v.s->tags.front().id;
    case Value::Kind::List:
      for (const Value& x : *v.list)
        if (const int t = first_tag(x); t >= 0) return t;
      return -1;
    case Value::Kind::Dict:
      for (const auto& [k, x] : v.dict->items)
        if (const int t = first_tag(x); t >= 0) return t;
      return -1;
    default: return -1;
  }
}

std::string to_json(const Value& v, bool ensure_ascii, int indent, const std::string& item_sep, const std::string& key_sep,
                    bool sort_keys) {
  std::string out;
  json_value(out, v, ensure_ascii, indent, 0, item_sep, key_sep, sort_keys);
  return out;
}

void append(Str& out, const Str& s) {
  const size_t at = out.text.size();
  out.text += s.text;
  for (const Tag& t : s.tags) out.tags.push_back({t.begin + at, t.end + at, t.id});
}

Str substr(const Str& s, size_t begin, size_t end) {
  Str out;
  end = std::min(end, s.text.size());
  begin = std::min(begin, end);
  out.text = s.text.substr(begin, end - begin);
  for (const Tag& t : s.tags) {
    const size_t b = std::max(t.begin, begin), e = std::min(t.end, end);
    if (b < e || (t.begin == t.end && t.begin >= begin && t.begin <= end)) out.tags.push_back({b - begin, e - begin, t.id});
    else if (t.begin < t.end && b == e && b >= begin && b <= end && t.begin <= begin && t.end >= end) out.tags.push_back({0, 0, t.id});
  }
  return out;
}

Str retag(std::string text, const Str& from) {
  Str out;
  out.text = std::move(text);
  if (!from.tags.empty()) out.tags.push_back({0, out.text.size(), from.tags.front().id});
  return out;
}

}  // namespace saturn::jinja
