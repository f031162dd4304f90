#include "tokenize/jinja/pyops.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "tokenize/jinja/utf8.h"

namespace saturn::jinja::py {


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
int order(const Interp& ip, const Value& a, const Value& b, bool case_sensitive) {
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

int64_t floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
int64_t mod(int64_t a, int64_t b) {
  int64_t m = a % b;
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

}  // namespace saturn::jinja::py
