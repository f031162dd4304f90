#include "tokenize/jinja/parser.h"

#include <charconv>
#include <cstdlib>
#include <set>

#include "tokenize/jinja/lexer.h"

namespace saturn::jinja {
namespace {

using T = Token::Type;

class Parser {
 public:
  Parser(std::vector<Token> tokens, int max_depth) : t_(std::move(tokens)), max_depth_(max_depth) {}

  Parsed run() {
    Parsed p;
    std::string end;
    p.body = body({}, &end);
    p.has_generation = has_generation_;
    return p;
  }

 private:
  std::vector<Token> t_;
  size_t k_ = 0;
  int depth_ = 0, max_depth_;
  bool has_generation_ = false;

  const Token& cur() const { return t_[k_]; }
  const Token& peek(size_t n = 1) const { return t_[std::min(k_ + n, t_.size() - 1)]; }
  [[noreturn]] void fail(const Token& at, const std::string& what) const { throw TemplateError(at.line, at.col, what); }
  bool is_op(const char* op) const { return cur().type == T::Op && cur().text == op; }
  bool is_name(const char* n) const { return cur().type == T::Name && cur().text == n; }
  void expect_op(const char* op) {
    if (!is_op(op)) fail(cur(), std::string("expected '") + op + "', got " + describe(cur()));
    ++k_;
  }
  static std::string describe(const Token& t) {
    switch (t.type) {
      case T::End: return "the end of the template";
      case T::BlockEnd: return "'%}'";
      case T::VarEnd: return "'}}'";
      case T::Text: return "text";
      case T::String: return "a string";
      default: return "'" + t.text + "'";
    }
  }
  std::string name() {
    if (cur().type != T::Name) fail(cur(), "expected a name, got " + describe(cur()));
    return t_[k_++].text;
  }
  void block_end() {
    if (cur().type != T::BlockEnd) fail(cur(), "expected '%}', got " + describe(cur()));
    ++k_;
  }
  struct Guard {
    Parser& p;
    Guard(Parser& p_, const Token& at) : p(p_) {
      if (++p.depth_ > p.max_depth_) p.fail(at, "the template nests deeper than " + std::to_string(p.max_depth_) + " levels");
    }
    ~Guard() { --p.depth_; }
  };

  template <class N>
  std::unique_ptr<N> node(typename N::Kind kind, const Token& at) {
    auto n = std::make_unique<N>();
    n->kind = kind;
    n->line = at.line;
    n->col = at.col;
    return n;
  }

  // Statements until a block tag whose name is in `ends` (consumed up to
  // its name; *end says which), or the template's end when `ends` is empty.
  Body body(const std::set<std::string>& ends, std::string* end) {
    Guard g(*this, cur());
    Body out;
    while (true) {
      const Token& tok = cur();
      if (tok.type == T::End) {
        if (!ends.empty()) {
          std::string closing = *ends.begin();
          for (const auto& e : ends)
            if (e.rfind("end", 0) == 0) closing = e;
          fail(tok, "the template ends inside a block: expected {% " + closing + " %}");
        }
        return out;
      }
      if (tok.type == T::Text) {
        auto s = node<Stmt>(Stmt::Kind::Text, tok);
        s->text = tok.text;
        out.push_back(std::move(s));
        ++k_;
      } else if (tok.type == T::VarBegin) {
        ++k_;
        auto s = node<Stmt>(Stmt::Kind::Output, tok);
        s->expr = tuple_expr();
        if (cur().type != T::VarEnd) fail(cur(), "expected '}}', got " + describe(cur()));
        ++k_;
        out.push_back(std::move(s));
      } else if (tok.type == T::BlockBegin) {
        const Token& kw = peek();
        if (kw.type != T::Name) fail(kw, "expected a statement name, got " + describe(kw));
        if (ends.count(kw.text)) {
          k_ += 2;
          *end = kw.text;
          return out;
        }
        ++k_;
        out.push_back(statement());
      } else {
        fail(tok, "unexpected " + describe(tok));
      }
    }
  }

  std::unique_ptr<Stmt> statement() {
    const Token& kw = cur();
    const std::string w = name();
    std::string end;
    if (w == "if") {
      auto s = node<Stmt>(Stmt::Kind::If, kw);
      ExprPtr c = expr();
      block_end();
      Body b = body({"elif", "else", "endif"}, &end);
      s->branches.emplace_back(std::move(c), std::move(b));
      while (end == "elif") {
        c = expr();
        block_end();
        b = body({"elif", "else", "endif"}, &end);
        s->branches.emplace_back(std::move(c), std::move(b));
      }
      if (end == "else") {
        block_end();
        s->else_body = body({"endif"}, &end);
      }
      block_end();
      return s;
    }
    if (w == "for") {
      auto s = node<Stmt>(Stmt::Kind::For, kw);
      s->targets = targets();
      if (!is_name("in")) fail(cur(), "expected 'in', got " + describe(cur()));
      ++k_;
      s->expr = tuple_expr(/*no_cond=*/true);
      if (is_name("if")) {
        ++k_;
        s->cond = expr();
      }
      if (is_name("recursive")) {
        ++k_;
        s->recursive = true;
      }
      block_end();
      s->body = body({"else", "endfor"}, &end);
      if (end == "else") {
        block_end();
        s->else_body = body({"endfor"}, &end);
      }
      block_end();
      return s;
    }
    if (w == "set") {
      const Token& at = cur();
      std::vector<std::string> names = targets();
      std::string attr;
      if (names.size() == 1 && is_op(".")) {
        ++k_;
        attr = name();
      }
      if (is_op("=")) {
        ++k_;
        auto s = node<Stmt>(Stmt::Kind::Set, kw);
        s->targets = std::move(names);
        s->attr = attr;
        s->expr = tuple_expr();
        block_end();
        return s;
      }
      if (names.size() != 1 || !attr.empty()) fail(at, "a block set takes one name");
      auto s = node<Stmt>(Stmt::Kind::SetBlock, kw);
      s->targets = std::move(names);
      while (is_op("|")) {
        ++k_;
        s->filters.push_back(filter_call(nullptr));
      }
      block_end();
      s->body = body({"endset"}, &end);
      block_end();
      return s;
    }
    if (w == "macro") {
      auto s = node<Stmt>(Stmt::Kind::Macro, kw);
      s->name = name();
      s->params = params();
      block_end();
      s->body = body({"endmacro"}, &end);
      if (cur().type == T::Name) ++k_;  // {% endmacro name %}
      block_end();
      return s;
    }
    if (w == "call") {
      auto s = node<Stmt>(Stmt::Kind::CallBlock, kw);
      if (is_op("(")) s->params = params();
      s->expr = expr();
      if (s->expr->kind != Expr::Kind::Call) fail(kw, "a call block needs a call");
      block_end();
      s->body = body({"endcall"}, &end);
      block_end();
      return s;
    }
    if (w == "filter") {
      auto s = node<Stmt>(Stmt::Kind::FilterBlock, kw);
      s->filters.push_back(filter_call(nullptr));
      while (is_op("|")) {
        ++k_;
        s->filters.push_back(filter_call(nullptr));
      }
      block_end();
      s->body = body({"endfilter"}, &end);
      block_end();
      return s;
    }
    if (w == "with") {
      auto s = node<Stmt>(Stmt::Kind::With, kw);
      while (cur().type != T::BlockEnd) {
        if (!s->params.empty()) expect_op(",");
        std::string n = name();
        expect_op("=");
        s->params.emplace_back(std::move(n), expr());
      }
      block_end();
      s->body = body({"endwith"}, &end);
      block_end();
      return s;
    }
    if (w == "generation") {
      has_generation_ = true;
      auto s = node<Stmt>(Stmt::Kind::Generation, kw);
      block_end();
      s->body = body({"endgeneration"}, &end);
      block_end();
      return s;
    }
    if (w == "break" || w == "continue") {
      auto s = node<Stmt>(w == "break" ? Stmt::Kind::Break : Stmt::Kind::Continue, kw);
      block_end();
      return s;
    }
    if (w == "include" || w == "import" || w == "from" || w == "extends" || w == "block")
      fail(kw, "'" + w + "' is not supported: a chat template cannot load other templates");
    fail(kw, "unknown statement '" + w + "'");
  }

  // for/set targets: a, b or (a, b).
  std::vector<std::string> targets() {
    std::vector<std::string> out;
    const bool paren = is_op("(");
    if (paren) ++k_;
    out.push_back(name());
    while (is_op(",")) {
      ++k_;
      if (cur().type != T::Name) break;
      out.push_back(name());
    }
    if (paren) expect_op(")");
    return out;
  }

  // (a, b=default, ...)
  std::vector<std::pair<std::string, ExprPtr>> params() {
    std::vector<std::pair<std::string, ExprPtr>> out;
    expect_op("(");
    while (!is_op(")")) {
      if (!out.empty()) expect_op(",");
      if (is_op(")")) break;
      std::string n = name();
      ExprPtr d;
      if (is_op("=")) {
        ++k_;
        d = expr();
      }
      out.emplace_back(std::move(n), std::move(d));
    }
    ++k_;
    return out;
  }

  // An expression, or several separated by commas (a tuple).
  ExprPtr tuple_expr(bool no_cond = false) {
    const Token& at = cur();
    ExprPtr first = no_cond ? or_expr() : expr();
    if (!is_op(",")) return first;
    auto t = node<Expr>(Expr::Kind::Tuple, at);
    t->args.push_back(std::move(first));
    while (is_op(",")) {
      ++k_;
      if (cur().type == T::BlockEnd || cur().type == T::VarEnd || is_name("if")) break;
      t->args.push_back(no_cond ? or_expr() : expr());
    }
    return t;
  }

  ExprPtr expr() {
    Guard g(*this, cur());
    const Token& at = cur();
    ExprPtr e = or_expr();
    while (is_name("if")) {
      ++k_;
      auto c = node<Expr>(Expr::Kind::Cond, at);
      c->b = or_expr();
      if (is_name("else")) {
        ++k_;
        c->c = expr();
      }
      c->a = std::move(e);
      e = std::move(c);
    }
    return e;
  }

  ExprPtr binary(const Token& at, const std::string& op, ExprPtr l, ExprPtr r) {
    auto n = node<Expr>(Expr::Kind::Binary, at);
    n->name = op;
    n->a = std::move(l);
    n->b = std::move(r);
    return n;
  }

  ExprPtr or_expr() {
    ExprPtr e = and_expr();
    while (is_name("or")) {
      const Token& at = cur();
      ++k_;
      e = binary(at, "or", std::move(e), and_expr());
    }
    return e;
  }
  ExprPtr and_expr() {
    ExprPtr e = not_expr();
    while (is_name("and")) {
      const Token& at = cur();
      ++k_;
      e = binary(at, "and", std::move(e), not_expr());
    }
    return e;
  }
  ExprPtr not_expr() {
    if (is_name("not")) {
      Guard g(*this, cur());
      auto n = node<Expr>(Expr::Kind::Unary, cur());
      ++k_;
      n->name = "not";
      n->a = not_expr();
      return n;
    }
    return compare();
  }
  ExprPtr compare() {
    const Token& at = cur();
    ExprPtr e = math1();
    std::unique_ptr<Expr> c;
    while (true) {
      std::string op;
      if (cur().type == T::Op && (cur().text == "==" || cur().text == "!=" || cur().text == "<" || cur().text == ">" ||
                                  cur().text == "<=" || cur().text == ">=")) {
        op = cur().text;
        ++k_;
      } else if (is_name("in")) {
        op = "in";
        ++k_;
      } else if (is_name("not") && peek().type == T::Name && peek().text == "in") {
        op = "not in";
        k_ += 2;
      } else {
        break;
      }
      if (!c) {
        c = node<Expr>(Expr::Kind::Compare, at);
        c->a = std::move(e);
      }
      c->ops.push_back(op);
      c->args.push_back(math1());
    }
    return c ? std::move(c) : std::move(e);
  }
  ExprPtr math1() {
    ExprPtr e = concat();
    while (is_op("+") || is_op("-")) {
      const Token& at = cur();
      const std::string op = cur().text;
      ++k_;
      e = binary(at, op, std::move(e), concat());
    }
    return e;
  }
  ExprPtr concat() {
    ExprPtr e = math2();
    while (is_op("~")) {
      const Token& at = cur();
      ++k_;
      e = binary(at, "~", std::move(e), math2());
    }
    return e;
  }
  ExprPtr math2() {
    ExprPtr e = pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& at = cur();
      const std::string op = cur().text;
      ++k_;
      e = binary(at, op, std::move(e), pow());
    }
    return e;
  }
  ExprPtr pow() {
    ExprPtr e = unary(true);
    while (is_op("**")) {
      const Token& at = cur();
      ++k_;
      e = binary(at, "**", std::move(e), unary(true));
    }
    return e;
  }
  ExprPtr unary(bool with_filter) {
    Guard g(*this, cur());
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      auto n = node<Expr>(Expr::Kind::Unary, cur());
      n->name = cur().text;
      ++k_;
      n->a = unary(false);
      e = std::move(n);
    } else {
      e = postfix(primary());
    }
    return with_filter ? filter_expr(std::move(e)) : std::move(e);
  }

  ExprPtr primary() {
    const Token& at = cur();
    switch (at.type) {
      case T::Name: {
        ++k_;
        auto n = node<Expr>(Expr::Kind::Literal, at);
        if (at.text == "true" || at.text == "True") n->value = Value::boolean(true);
        else if (at.text == "false" || at.text == "False") n->value = Value::boolean(false);
        else if (at.text == "none" || at.text == "None") n->value = Value::none();
        else {
          n->kind = Expr::Kind::Name;
          n->name = at.text;
        }
        return n;
      }
      case T::String: {
        std::string s;
        while (cur().type == T::String) s += t_[k_++].text;
        auto n = node<Expr>(Expr::Kind::Literal, at);
        n->value = Value::string(std::move(s));
        return n;
      }
      case T::Int: {
        ++k_;
        auto n = node<Expr>(Expr::Kind::Literal, at);
        int64_t v = 0;
        const auto r = std::from_chars(at.text.data(), at.text.data() + at.text.size(), v);
        if (r.ec != std::errc()) n->value = Value::number(std::strtod(at.text.c_str(), nullptr));
        else n->value = Value::integer(v);
        return n;
      }
      case T::Float: {
        ++k_;
        auto n = node<Expr>(Expr::Kind::Literal, at);
        n->value = Value::number(std::strtod(at.text.c_str(), nullptr));
        return n;
      }
      case T::Op:
        if (at.text == "(") {
          ++k_;
          if (is_op(")")) {
            ++k_;
            return node<Expr>(Expr::Kind::Tuple, at);
          }
          ExprPtr first = expr();
          if (is_op(")")) {
            ++k_;
            return first;
          }
          auto t = node<Expr>(Expr::Kind::Tuple, at);
          t->args.push_back(std::move(first));
          while (is_op(",")) {
            ++k_;
            if (is_op(")")) break;
            t->args.push_back(expr());
          }
          expect_op(")");
          return t;
        }
        if (at.text == "[") {
          ++k_;
          auto l = node<Expr>(Expr::Kind::List, at);
          while (!is_op("]")) {
            if (!l->args.empty()) expect_op(",");
            if (is_op("]")) break;
            l->args.push_back(expr());
          }
          ++k_;
          return l;
        }
        if (at.text == "{") {
          ++k_;
          auto d = node<Expr>(Expr::Kind::Dict, at);
          while (!is_op("}")) {
            if (!d->args.empty()) expect_op(",");
            if (is_op("}")) break;
            d->args.push_back(expr());
            expect_op(":");
            d->args.push_back(expr());
          }
          ++k_;
          return d;
        }
        break;
      default: break;
    }
    fail(at, "expected an expression, got " + describe(at));
  }

  ExprPtr postfix(ExprPtr e) {
    while (true) {
      const Token& at = cur();
      if (is_op(".")) {
        ++k_;
        auto n = node<Expr>(Expr::Kind::Attr, at);
        if (cur().type == T::Int) {  // a.0: an item
          n->kind = Expr::Kind::Item;
          auto idx = node<Expr>(Expr::Kind::Literal, cur());
          idx->value = Value::integer(std::stoll(cur().text));
          ++k_;
          n->b = std::move(idx);
        } else {
          n->name = name();
        }
        n->a = std::move(e);
        e = std::move(n);
      } else if (is_op("[")) {
        ++k_;
        e = subscript(at, std::move(e));
      } else if (is_op("(")) {
        e = call(at, std::move(e));
      } else {
        return e;
      }
    }
  }

  ExprPtr subscript(const Token& at, ExprPtr obj) {
    ExprPtr parts[3];
    int colons = 0;
    while (!is_op("]")) {
      if (is_op(":")) {
        if (++colons > 2) fail(cur(), "a slice takes at most two ':'");
        ++k_;
        continue;
      }
      if (parts[colons]) fail(cur(), "expected ':' or ']', got " + describe(cur()));
      parts[colons] = expr();
    }
    ++k_;
    if (colons == 0) {
      if (!parts[0]) fail(at, "an empty subscript");
      auto n = node<Expr>(Expr::Kind::Item, at);
      n->a = std::move(obj);
      n->b = std::move(parts[0]);
      return n;
    }
    auto n = node<Expr>(Expr::Kind::Slice, at);
    n->a = std::move(obj);
    for (auto& p : parts) n->args.push_back(std::move(p));
    return n;
  }

  // (args) after a callee, a filter or a test.
  void arguments(Expr& n) {
    expect_op("(");
    while (!is_op(")")) {
      if (!n.args.empty() || !n.named.empty()) expect_op(",");
      if (is_op(")")) break;
      if (cur().type == T::Name && peek().type == T::Op && peek().text == "=") {
        std::string key = name();
        ++k_;
        n.named.emplace_back(std::move(key), expr());
      } else {
        if (!n.named.empty()) fail(cur(), "a positional argument after a keyword argument");
        n.args.push_back(expr());
      }
    }
    ++k_;
  }

  ExprPtr call(const Token& at, ExprPtr callee) {
    auto n = node<Expr>(Expr::Kind::Call, at);
    n->a = std::move(callee);
    arguments(*n);
    return n;
  }

  // `name[(args)]` after a '|' (operand: the expression filtered; null in filter blocks).
  ExprPtr filter_call(ExprPtr operand) {
    const Token& at = cur();
    auto n = node<Expr>(Expr::Kind::Filter, at);
    n->name = name();
    while (is_op(".")) {
      ++k_;
      n->name += "." + name();
    }
    if (is_op("(")) arguments(*n);
    n->a = std::move(operand);
    return n;
  }

  ExprPtr filter_expr(ExprPtr e) {
    while (true) {
      if (is_op("|")) {
        ++k_;
        e = filter_call(std::move(e));
      } else if (is_name("is")) {
        const Token& at = cur();
        ++k_;
        auto n = node<Expr>(Expr::Kind::Test, at);
        if (is_name("not")) {
          ++k_;
          n->negated = true;
        }
        n->name = name();
        while (is_op(".")) {
          ++k_;
          n->name += "." + name();
        }
        if (is_op("(")) {
          arguments(*n);
        } else if ((cur().type == T::Name || cur().type == T::String || cur().type == T::Int || cur().type == T::Float ||
                    is_op("(") || is_op("[") || is_op("{")) &&
                   !is_name("else") && !is_name("or") && !is_name("and") && !is_name("if") && !is_name("in") &&
                   !is_name("not") && !is_name("is")) {
          n->args.push_back(postfix(primary()));
        }
        n->a = std::move(e);
        e = std::move(n);
      } else if (is_op("(")) {
        e = call(cur(), std::move(e));
      } else {
        return e;
      }
    }
  }
};

}  // namespace

Parsed parse(const std::string& source, int max_depth) { return Parser(lex(source), max_depth).run(); }

}  // namespace saturn::jinja
