// Python's operations on Jinja values that the interpreter's operators,
// methods, filters and tests share (internal to lib/tokenize/jinja): an
// argument by position or name, str.strip/split/replace over code points
// with tags kept, "%" and "{}" formatting, HTML escaping, ordering, floor
// division and modulo.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tokenize/jinja/interp.h"

namespace saturn::jinja::py {

const Value* arg(const Args& a, size_t pos, const char* name);  // positional `pos`, else keyword `name`
std::shared_ptr<Callable> fn(std::string name, std::function<Value(Args&)> f);
bool is_int(const Value& v);     // int or bool
int64_t as_int(const Value& v);
double as_num(const Value& v);
Str strip(const Str& s, const Value* chars, bool left, bool right);           // str.strip (chars: null = whitespace)
List split(const Str& s, const Value* sep, int64_t maxsplit, bool from_right);  // str.split / rsplit; std::runtime_error for ""
std::string replace_all(const std::string& s, const std::string& from, const std::string& to, int64_t count);
std::string html_escape(const std::string& s);
std::string percent_format(const Interp& ip, const std::string& f, const std::vector<Value>& args);  // "%s" % args
std::string brace_format(const Interp& ip, const std::string& f, const Args& a);                     // "{}".format(...)
int order(const Interp& ip, const Value& a, const Value& b, bool case_sensitive = true);  // <0, 0, >0; TypeError otherwise
int64_t floordiv(int64_t a, int64_t b);
int64_t mod(int64_t a, int64_t b);

}  // namespace saturn::jinja::py
