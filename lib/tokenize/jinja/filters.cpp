// The Interp's filters: jinja2's, with transformers' tojson.
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

Value Interp::filter(const std::string& name, const Value& v, Args& a) {
  if (++depth > o_.limits.max_depth) fail("filter calls nest deeper than " + std::to_string(o_.limits.max_depth));
  struct Depth {
    int& d;
    ~Depth() { --d; }
  } guard{depth};
  if (name == "default" || name == "d") {
    const Value* dflt = arg(a, 0, "default_value");
    const Value* boolean = arg(a, 1, "boolean");
    const bool use = v.is_undefined() || (boolean && truthy(*boolean) && !truthy(v));
    return use ? (dflt ? *dflt : Value::string("")) : v;
  }
  if (auto r = text_filter(name, v, a)) return *r;
  if (auto r = number_filter(name, v, a)) return *r;
  if (auto r = sequence_filter(name, v, a)) return *r;
  if (auto r = collection_filter(name, v, a)) return *r;
  fail("no filter named '" + name + "'");
}

// Filters of text: trim, case, replace, escape, tojson, indent, format, ...
std::optional<Value> Interp::text_filter(const std::string& name, const Value& v, Args& a) {
  if (name == "trim") {
    if (v.is_undefined()) return Value::string("");
    return Value::string(strip(to_str(v), arg(a, 0, "chars"), true, true));
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
  return std::nullopt;
}

// Filters to and of numbers: int, float, abs, round.
std::optional<Value> Interp::number_filter(const std::string& name, const Value& v, Args& a) {
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
  return std::nullopt;
}

// Filters of sequences: length, join, first, last, list, items, reverse, attr, batch.
std::optional<Value> Interp::sequence_filter(const std::string& name, const Value& v, Args& a) {
  if (name == "length" || name == "count") {
    if (v.is_str()) return Value::integer(static_cast<int64_t>(utf8::length(v.text())));
    if (v.is_list()) return Value::integer(static_cast<int64_t>(v.list->size()));
    if (v.is_dict()) return Value::integer(static_cast<int64_t>(v.dict->items.size()));
    if (v.is_undefined()) return Value::integer(0);
    fail("object of type '" + type_name(v) + "' has no len()");
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
  return std::nullopt;
}

// Filters that order, reduce or map a sequence: unique, sort, dictsort, min, max, sum, map, select, reject, ...
std::optional<Value> Interp::collection_filter(const std::string& name, const Value& v, Args& a) {
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
  return std::nullopt;
}

}  // namespace saturn::jinja
