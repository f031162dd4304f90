// The Interp's attributes: the methods of strings, dicts and lists a
// template may call (the mutating ones refused), and the globals
// transformers gives chat templates.
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

Value Interp::attribute(const Value& obj, const std::string& name) {
  if (!name.empty() && name[0] == '_')
    fail("access to attribute '" + name + "' of '" + type_name(obj) + "' object is unsafe");
  switch (obj.kind) {
    case Value::Kind::Undefined:
      fail("'" + (obj.name.empty() ? std::string("value") : obj.name) + "' is undefined");
    case Value::Kind::Dict: return dict_attribute(obj, name);
    case Value::Kind::List: return list_attribute(obj, name);
    case Value::Kind::Str: return str_attribute(obj, name);
    default: return Value::undefined(name);
  }
}

// A namespace's attribute, a dict's read-only methods (items, keys, values, get, copy), else its item.
Value Interp::dict_attribute(const Value& obj, const std::string& name) {
  auto method = [&](std::function<Value(Args&)> f) { return Value::function(fn(name, std::move(f))); };
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

// A list's read-only methods (index, count).
Value Interp::list_attribute(const Value& obj, const std::string& name) {
  auto method = [&](std::function<Value(Args&)> f) { return Value::function(fn(name, std::move(f))); };
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

// Python's str methods, tags kept where the result is a piece of the string.
Value Interp::str_attribute(const Value& obj, const std::string& name) {
  auto method = [&](std::function<Value(Args&)> f) { return Value::function(fn(name, std::move(f))); };
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
}  // namespace saturn::jinja
