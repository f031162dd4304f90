// The renderer: walks a parsed template (ast.h) with scopes, output buffers
// and macros; Python's operations on values are the Interp's (builtins.cpp).
#include <algorithm>
#include <unordered_map>

#include "tokenize/jinja/interp.h"
#include "tokenize/jinja/parser.h"
#include "tokenize/jinja/template.h"
#include "tokenize/jinja/utf8.h"

namespace saturn::jinja {
namespace {

enum class Flow { Normal, Break, Continue };

class Renderer {
 public:
  Renderer(const RenderOptions& o) : ip_(o) {}

  RenderResult run(const Body& body, const Value& vars) {
    frames_.emplace_back();
    if (vars.is_dict())
      for (const auto& [k, v] : vars.dict->items)
        if (k.is_str()) frames_.back()[k.text()] = v;
    out_.emplace_back();
    exec(body);
    RenderResult r;
    r.text = std::move(out_.front());
    r.generation = std::move(generation_);
    return r;
  }

 private:
  Interp ip_;
  std::vector<std::unordered_map<std::string, Value>> frames_;
  std::vector<Str> out_;
  std::vector<std::pair<size_t, size_t>> generation_;
  Value pending_caller_;  // a {% call %} block's caller, for the macro it calls

  void write(const Str& s) {
    Str& o = out_.back();
    if (out_.size() == 1 && o.text.size() + s.text.size() > ip_.options().limits.max_output)
      ip_.fail("the output passes " + std::to_string(ip_.options().limits.max_output) + " bytes");
    append(o, s);
  }

  Value lookup(const std::string& name) const {
    for (auto f = frames_.rbegin(); f != frames_.rend(); ++f) {
      const auto it = f->find(name);
      if (it != f->end()) return it->second;
    }
    Value g = ip_.global(name);
    if (!g.is_undefined()) return g;
    return Value::undefined(name);
  }

  void assign(const std::vector<std::string>& targets, const Value& v) {
    if (targets.size() == 1) {
      frames_.back()[targets[0]] = v;
      return;
    }
    const std::vector<Value> items = ip_.iterate(v);
    if (items.size() != targets.size())
      ip_.fail("cannot unpack " + std::to_string(items.size()) + " values into " + std::to_string(targets.size()) + " names");
    for (size_t k = 0; k < targets.size(); ++k) frames_.back()[targets[k]] = items[k];
  }

  Flow exec(const Body& body) {
    for (const auto& s : body) {
      const Flow f = exec(*s);
      if (f != Flow::Normal) return f;
    }
    return Flow::Normal;
  }

  Flow exec(const Stmt& s) {
    ip_.set_at(s.line, s.col);
    ip_.step();
    switch (s.kind) {
      case Stmt::Kind::Text: {
        Str t;
        t.text = s.text;
        write(t);
        return Flow::Normal;
      }
      case Stmt::Kind::Output: write(to_str(eval(*s.expr))); return Flow::Normal;
      case Stmt::Kind::If:
        for (const auto& [cond, body] : s.branches)
          if (truthy(eval(*cond))) return exec(body);
        return exec(s.else_body);
      case Stmt::Kind::For: return exec_for(s);
      case Stmt::Kind::Set: {
        Value v = eval(*s.expr);
        if (!s.attr.empty()) {
          Value ns = lookup(s.targets[0]);
          ip_.set_at(s.line, s.col);
          if (!ns.is_dict() || !ns.ns) ip_.fail("can only set attributes of a namespace, not of " + type_name(ns));
          if (!s.attr.empty() && s.attr[0] == '_') ip_.fail("a namespace attribute cannot start with '_': " + s.attr);
          ns.dict->set(Value::string(s.attr), std::move(v));
        } else {
          assign(s.targets, v);
        }
        return Flow::Normal;
      }
      case Stmt::Kind::SetBlock: {
        Value v = Value::string(capture(s.body));
        for (const auto& f : s.filters) v = apply_filter(*f, v);
        frames_.back()[s.targets[0]] = v;
        return Flow::Normal;
      }
      case Stmt::Kind::Macro: frames_.back()[s.name] = macro(s, s.name); return Flow::Normal;
      case Stmt::Kind::CallBlock: {
        pending_caller_ = macro(s, "caller");
        Value v = eval(*s.expr);
        pending_caller_ = Value();
        write(to_str(v));
        return Flow::Normal;
      }
      case Stmt::Kind::FilterBlock: {
        Value v = Value::string(capture(s.body));
        for (const auto& f : s.filters) v = apply_filter(*f, v);
        write(to_str(v));
        return Flow::Normal;
      }
      case Stmt::Kind::Generation: {
        const size_t begin = out_.back().text.size();
        const Flow f = exec(s.body);
        if (out_.size() == 1) generation_.emplace_back(begin, out_.back().text.size());
        return f;
      }
      case Stmt::Kind::With: {
        std::vector<Value> values;
        for (const auto& [name, e] : s.params) values.push_back(eval(*e));
        frames_.emplace_back();
        for (size_t k = 0; k < values.size(); ++k) frames_.back()[s.params[k].first] = values[k];
        const Flow f = exec(s.body);
        frames_.pop_back();
        return f;
      }
      case Stmt::Kind::Break: return Flow::Break;
      case Stmt::Kind::Continue: return Flow::Continue;
    }
    return Flow::Normal;
  }

  Str capture(const Body& body) {
    out_.emplace_back();
    exec(body);
    Str s = std::move(out_.back());
    out_.pop_back();
    return s;
  }

  Flow exec_for(const Stmt& s) {
    const Value seq = eval(*s.expr);
    std::vector<Value> items = ip_.iterate(seq);
    if (s.cond) {  // {% for x in xs if cond %}: the loop sees only what passes
      std::vector<Value> kept;
      frames_.emplace_back();
      for (Value& v : items) {
        assign(s.targets, v);
        if (truthy(eval(*s.cond))) kept.push_back(std::move(v));
      }
      frames_.pop_back();
      items = std::move(kept);
    }
    if (items.empty()) return exec(s.else_body);
    const int64_t n = static_cast<int64_t>(items.size());
    frames_.emplace_back();
    for (int64_t k = 0; k < n; ++k) {
      frames_.back().clear();
      Value loop = Value::make_dict();
      auto& d = *loop.dict;
      d.set(Value::string("index"), Value::integer(k + 1));
      d.set(Value::string("index0"), Value::integer(k));
      d.set(Value::string("revindex"), Value::integer(n - k));
      d.set(Value::string("revindex0"), Value::integer(n - k - 1));
      d.set(Value::string("first"), Value::boolean(k == 0));
      d.set(Value::string("last"), Value::boolean(k == n - 1));
      d.set(Value::string("length"), Value::integer(n));
      d.set(Value::string("depth"), Value::integer(1));
      d.set(Value::string("depth0"), Value::integer(0));
      d.set(Value::string("previtem"), k > 0 ? items[static_cast<size_t>(k - 1)] : Value::undefined("previtem"));
      d.set(Value::string("nextitem"), k + 1 < n ? items[static_cast<size_t>(k + 1)] : Value::undefined("nextitem"));
      auto cycle = std::make_shared<Callable>();
      cycle->name = "cycle";
      cycle->call = [k, this](Args& a) {
        if (a.positional.empty()) ip_.fail("no items for cycling given");
        return a.positional[static_cast<size_t>(k) % a.positional.size()];
      };
      d.set(Value::string("cycle"), Value::function(cycle));
      auto changed = std::make_shared<Callable>();
      changed->name = "changed";
      auto last = std::make_shared<std::vector<Value>>();
      changed->call = [last](Args& a) {
        const bool c = last->size() != a.positional.size() ||
                       !std::equal(last->begin(), last->end(), a.positional.begin(), equal);
        *last = a.positional;
        return Value::boolean(c);
      };
      d.set(Value::string("changed"), Value::function(changed));
      frames_.back()["loop"] = loop;
      assign(s.targets, items[static_cast<size_t>(k)]);
      const Flow f = exec(s.body);
      if (f == Flow::Break) break;
    }
    frames_.pop_back();
    return Flow::Normal;
  }

  // A macro (or a call block's caller) as a callable value.
  Value macro(const Stmt& s, const std::string& name) {
    auto fn = std::make_shared<Callable>();
    fn->name = name;
    const Stmt* def = &s;
    fn->call = [this, def](Args& a) { return invoke(*def, a); };
    return Value::function(fn);
  }

  Value invoke(const Stmt& def, Args& a) {
    if (++ip_.depth > ip_.options().limits.max_depth)
      ip_.fail("macro calls nest deeper than " + std::to_string(ip_.options().limits.max_depth));
    Value caller = pending_caller_;
    pending_caller_ = Value();
    // A macro sees the template's top-level names and its own.
    std::vector<std::unordered_map<std::string, Value>> saved(std::make_move_iterator(frames_.begin() + 1),
                                                               std::make_move_iterator(frames_.end()));
    frames_.resize(1);
    frames_.emplace_back();
    auto& f = frames_.back();
    std::vector<Value> extra;
    for (size_t k = 0; k < a.positional.size(); ++k) {
      if (k < def.params.size()) f[def.params[k].first] = a.positional[k];
      else extra.push_back(a.positional[k]);
    }
    Value kwargs = Value::make_dict();
    for (auto& kv : a.named) {
      const std::string& key = kv.first;
      const bool param = std::any_of(def.params.begin(), def.params.end(), [&](const auto& p) { return p.first == key; });
      if (param) f[key] = kv.second;
      else kwargs.dict->set(Value::string(key), kv.second);
    }
    for (const auto& [pname, dflt] : def.params)
      if (!f.count(pname)) f[pname] = dflt ? eval(*dflt) : Value::undefined(pname);
    f["varargs"] = Value::make_list(extra, true);
    f["kwargs"] = kwargs;
    if (!caller.is_undefined()) f["caller"] = caller;
    Value out = Value::string(capture(def.body));
    frames_.resize(1);
    for (auto& fr : saved) frames_.push_back(std::move(fr));
    --ip_.depth;
    return out;
  }

  Args arguments(const Expr& e) {
    Args a;
    for (const auto& x : e.args) a.positional.push_back(eval(*x));
    for (const auto& [k, x] : e.named) a.named.emplace_back(k, eval(*x));
    return a;
  }

  Value apply_filter(const Expr& f, const Value& v) {
    Args a = arguments(f);
    ip_.set_at(&f);
    return ip_.filter(f.name, v, a);
  }

  Value eval(const Expr& e) {
    ip_.set_at(&e);
    ip_.step();
    switch (e.kind) {
      case Expr::Kind::Literal: return e.value;
      case Expr::Kind::Name: return lookup(e.name);
      case Expr::Kind::Attr: {
        const Value obj = eval(*e.a);
        ip_.set_at(&e);
        return ip_.attribute(obj, e.name);
      }
      case Expr::Kind::Item: {
        const Value obj = eval(*e.a);
        const Value key = eval(*e.b);
        ip_.set_at(&e);
        return ip_.item(obj, key);
      }
      case Expr::Kind::Slice: return slice(e);
      case Expr::Kind::Call: {
        const Value fn = eval(*e.a);
        Args a = arguments(e);
        ip_.set_at(&e);
        if (fn.is_undefined()) ip_.fail("'" + (fn.name.empty() ? std::string("value") : fn.name) + "' is undefined");
        return ip_.call(fn, a);
      }
      case Expr::Kind::Filter: return apply_filter(e, eval(*e.a));
      case Expr::Kind::Test: {
        const Value v = eval(*e.a);
        Args a = arguments(e);
        ip_.set_at(&e);
        return Value::boolean(ip_.test(e.name, v, a) != e.negated);
      }
      case Expr::Kind::Unary: {
        const Value v = eval(*e.a);
        ip_.set_at(&e);
        if (e.name == "not") return Value::boolean(!truthy(v));
        if (v.kind == Value::Kind::Float) return Value::number(e.name == "-" ? -v.f : v.f);
        if (v.kind == Value::Kind::Int || v.kind == Value::Kind::Bool) {
          const int64_t x = v.kind == Value::Kind::Int ? v.i : v.b;
          return Value::integer(e.name == "-" ? -x : x);
        }
        ip_.fail("bad operand type for unary " + e.name + ": '" + type_name(v) + "'");
      }
      case Expr::Kind::Binary: {
        if (e.name == "and") {
          Value l = eval(*e.a);
          return truthy(l) ? eval(*e.b) : l;
        }
        if (e.name == "or") {
          Value l = eval(*e.a);
          return truthy(l) ? l : eval(*e.b);
        }
        const Value l = eval(*e.a);
        const Value r = eval(*e.b);
        ip_.set_at(&e);
        return ip_.binary(e.name, l, r);
      }
      case Expr::Kind::Compare: {
        Value l = eval(*e.a);
        for (size_t k = 0; k < e.ops.size(); ++k) {
          Value r = eval(*e.args[k]);
          ip_.set_at(&e);
          bool ok;
          if (e.ops[k] == "in") ok = ip_.contains(r, l);
          else if (e.ops[k] == "not in") ok = !ip_.contains(r, l);
          else ok = ip_.compare(e.ops[k], l, r);
          if (!ok) return Value::boolean(false);
          l = std::move(r);
        }
        return Value::boolean(true);
      }
      case Expr::Kind::Cond:
        if (truthy(eval(*e.b))) return eval(*e.a);
        return e.c ? eval(*e.c) : Value::undefined();
      case Expr::Kind::List:
      case Expr::Kind::Tuple: {
        List items;
        for (const auto& x : e.args) items.push_back(eval(*x));
        return Value::make_list(std::move(items), e.kind == Expr::Kind::Tuple);
      }
      case Expr::Kind::Dict: {
        Value d = Value::make_dict();
        for (size_t k = 0; k + 1 < e.args.size(); k += 2) {
          Value key = eval(*e.args[k]);
          d.dict->set(key, eval(*e.args[k + 1]));
        }
        return d;
      }
    }
    return Value();
  }

  // Python's a[start:stop:step] on a list, tuple or string (code points).
  Value slice(const Expr& e) {
    const Value obj = eval(*e.a);
    int64_t parts[3] = {0, 0, 1};
    bool given[3] = {false, false, false};
    for (int k = 0; k < 3; ++k) {
      if (!e.args[static_cast<size_t>(k)]) continue;
      const Value v = eval(*e.args[static_cast<size_t>(k)]);
      if (v.is_none()) continue;
      if (v.kind != Value::Kind::Int) {
        ip_.set_at(&e);
        ip_.fail("slice indices must be integers or None, not " + type_name(v));
      }
      parts[k] = v.i;
      given[k] = true;
    }
    ip_.set_at(&e);
    const int64_t step = parts[2];
    if (step == 0) ip_.fail("slice step cannot be zero");
    std::vector<size_t> offs;
    int64_t n;
    if (obj.is_str()) {
      offs = utf8::offsets(obj.text());
      n = static_cast<int64_t>(offs.size()) - 1;
    } else if (obj.is_list()) {
      n = static_cast<int64_t>(obj.list->size());
    } else if (obj.is_undefined()) {
      return Value::undefined();
    } else {
      ip_.fail("'" + type_name(obj) + "' object is not subscriptable");
    }
    auto clamp = [&](int64_t x, bool is_given, int64_t dflt) {
      if (!is_given) return dflt;
      if (x < 0) x += n;
      if (step > 0) return std::clamp<int64_t>(x, 0, n);
      return std::clamp<int64_t>(x, -1, n - 1);
    };
    const int64_t start = clamp(parts[0], given[0], step > 0 ? 0 : n - 1);
    const int64_t stop = clamp(parts[1], given[1], step > 0 ? n : -1);
    if (obj.is_str()) {
      if (step == 1) {
        if (start >= stop) return Value::string("");
        return Value::string(substr(*obj.s, offs[static_cast<size_t>(start)], offs[static_cast<size_t>(stop)]));
      }
      std::string out;
      for (int64_t k = start; step > 0 ? k < stop : k > stop; k += step)
        out += obj.text().substr(offs[static_cast<size_t>(k)], offs[static_cast<size_t>(k + 1)] - offs[static_cast<size_t>(k)]);
      return Value::string(retag(out, *obj.s));
    }
    List out;
    for (int64_t k = start; step > 0 ? k < stop : k > stop; k += step) out.push_back((*obj.list)[static_cast<size_t>(k)]);
    return Value::make_list(std::move(out), obj.tuple);
  }
};

}  // namespace

Template::Template(const std::string& source, const Limits& limits)
    : parsed_(std::make_unique<Parsed>(parse(source, limits.max_depth))) {}
Template::~Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;

RenderResult Template::render(const Value& vars, const RenderOptions& o) const {
  Renderer r(o);
  return r.run(parsed_->body, vars);
}

bool Template::has_generation() const { return parsed_->has_generation; }

}  // namespace saturn::jinja
