// The syntax tree of a Jinja template (parser.h makes it, render.h walks it).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenize/jinja/value.h"

namespace saturn::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    Literal,   // value
    Name,      // name
    Attr,      // a.name
    Item,      // a[b]
    Slice,     // a[b:c:d] (args: start, stop, step; null when left out)
    Call,      // a(args..., named...)
    Filter,    // a | name(args...)
    Test,      // a is [not] name(args...)
    Unary,     // op a: "not", "-", "+"
    Binary,    // a op b: + - * / // % ** ~ and or in "not in"
    Compare,   // a op b [op c ...]: == != < > <= >=
    Cond,      // a if b else c
    List,      // [args...]
    Tuple,     // (args...)
    Dict,      // {args[0]: args[1], ...}
  };
  Kind kind;
  int line = 0, col = 0;
  Value value;                 // Literal
  std::string name;            // Name, Attr, Call-less names, Filter, Test, Unary/Binary op
  bool negated = false;        // Test: "is not"
  ExprPtr a, b, c;             // operands
  std::vector<ExprPtr> args;   // positional arguments, items
  std::vector<std::pair<std::string, ExprPtr>> named;  // keyword arguments
  std::vector<std::string> ops;  // Compare: the operators after a
};

struct Stmt;
using Body = std::vector<std::unique_ptr<Stmt>>;

struct Stmt {
  enum class Kind {
    Text,       // text
    Output,     // {{ expr }}
    If,         // branches: (cond, body)..., else_body
    For,        // targets in expr [if cond] body [else else_body]
    Set,        // targets = expr; or target (ns.attr) = expr
    SetBlock,   // {% set x %}body{% endset %} (optionally filtered: filters)
    Macro,      // name(params) body
    CallBlock,  // {% call(params) expr %}body{% endcall %}
    FilterBlock,  // {% filter f %}body{% endfilter %}
    Generation,   // {% generation %}body{% endgeneration %}
    With,         // {% with params %}body{% endwith %}: params set in a scope of their own
    Break,
    Continue,
  };
  Kind kind;
  int line = 0, col = 0;
  std::string text;                    // Text
  ExprPtr expr;                        // Output, For (the iterable), Set (value), CallBlock (the call)
  ExprPtr cond;                        // For: the filter condition
  std::vector<std::string> targets;    // For, Set: names (several: unpacking)
  std::string attr;                    // Set of a namespace attribute: targets[0].attr
  bool recursive = false;              // For: loop(...) recursion
  std::vector<std::pair<ExprPtr, Body>> branches;  // If
  Body body, else_body;
  std::string name;                    // Macro
  std::vector<std::pair<std::string, ExprPtr>> params;  // Macro, CallBlock: name and default (null: none); With: values
  std::vector<ExprPtr> filters;        // SetBlock, FilterBlock: Filter exprs applied in order (operand a unset)
};

}  // namespace saturn::jinja
