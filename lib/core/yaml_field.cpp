#include "yaml_field.h"

#include <yaml-cpp/depthguard.h>

#include <cmath>
#include <cstdlib>
#include <set>

#include "text.h"
#include "units.h"

namespace saturn {

namespace {

// A key as it appears in a field path: as written when it is a plain word,
// else quoted with escapes (so a path is always one line).
std::string path_key(const std::string& k) {
  bool plain = !k.empty() && k.size() <= 64;
  for (char c : k) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  return plain ? k : quoted(excerpt(k, 64));
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? path_key(key) : parent + "." + path_key(key);
}

}  // namespace

std::string Field::where() const {
  YAML::Mark m = node_.Mark();
  if (m.is_null()) return *file_;
  return *file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

void Field::fail(const std::string& what, ErrorKind kind) const {
  throw Error(kind, where() + ": " + (path_.empty() ? std::string() : path_ + ": ") + what);
}

void Field::expected(const std::string& what) const {
  fail("expected " + what + ", got " + describe());
}

std::string Field::describe() const {
  if (!node_.IsDefined() || node_.IsNull()) return "nothing";
  if (node_.IsMap()) return node_.size() ? "a mapping" : "an empty mapping";
  if (node_.IsSequence()) return node_.size() ? "a list" : "an empty list";
  return quoted(excerpt(node_.Scalar(), 80));
}

void Field::check_keys(const std::vector<std::string>& allowed) const {
  if (!node_.IsMap()) expected("a mapping");
  std::set<std::string> seen;
  for (const auto& [key, value] : entries()) {
    const std::string& k = key.node().Scalar();
    if (!seen.insert(k).second) key.fail("duplicate key " + quoted(excerpt(k, 64)));
    bool known = false;
    for (const auto& a : allowed) known = known || a == k;
    if (known) continue;
    std::string sug = did_you_mean(k, allowed);
    if (!sug.empty()) key.fail("unknown key, did you mean " + quoted(sug) + "?");
    key.fail("unknown key; expected one of: " + join(allowed, ", "));
  }
}

std::optional<Field> Field::get(const std::string& key) const {
  if (!node_.IsMap()) expected("a mapping");
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key)
      return Field(it->second, child_path(path_, key), file_);
  }
  return std::nullopt;
}

Field Field::required(const std::string& key) const {
  auto f = get(key);
  if (!f) fail("missing required key " + quoted(key));
  return *f;
}

std::vector<std::pair<Field, Field>> Field::entries() const {
  if (!node_.IsMap()) expected("a mapping");
  std::vector<std::pair<Field, Field>> r;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar().empty())
      Field(it->first, path_, file_).fail("expected a plain key, got " + Field(it->first, path_, file_).describe());
    std::string child = child_path(path_, it->first.Scalar());
    r.emplace_back(Field(it->first, child, file_), Field(it->second, child, file_));
  }
  return r;
}

std::vector<Field> Field::items() const {
  if (!node_.IsSequence()) expected("a list");
  std::vector<Field> r;
  size_t i = 0;
  for (auto it = node_.begin(); it != node_.end(); ++it, ++i)
    r.emplace_back(*it, path_ + "[" + std::to_string(i) + "]", file_);
  return r;
}

std::vector<Field> Field::items_or_scalar() const {
  if (node_.IsSequence()) return items();
  if (node_.IsScalar()) return {*this};
  expected("a value or a list of values");
}

std::string Field::text() const {
  if (!node_.IsScalar() || node_.Scalar().empty()) expected("a string");
  if (!printable_utf8(node_.Scalar())) expected("printable UTF-8 text");
  return node_.Scalar();
}

std::string Field::name() const {
  if (!node_.IsScalar() || node_.Scalar().empty()) expected("a name");
  const std::string& s = node_.Scalar();
  bool ok = std::isalnum(static_cast<unsigned char>(s[0])) && s.size() <= 64;
  for (char c : s)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  if (!ok) expected("a name of letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)");
  return s;
}

bool Field::boolean() const {
  if (node_.IsScalar()) {
    const std::string& s = node_.Scalar();
    if (s == "true" || s == "True") return true;
    if (s == "false" || s == "False") return false;
  }
  expected("true or false");
}

int64_t Field::integer(int64_t min, int64_t max) const {
  std::optional<int64_t> v;
  if (node_.IsScalar()) v = parse_integer(node_.Scalar());
  std::string range;
  if (min == 0 && max == INT64_MAX) range = "a whole number >= 0";
  else if (min == 1 && max == INT64_MAX) range = "a whole number >= 1";
  else if (max == INT64_MAX) range = "a whole number >= " + std::to_string(min);
  else range = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  if (!v || *v < min || *v > max) expected(range);
  return *v;
}

// The scalar as a number accepted by `ok`, else "expected <what>".
template <typename Ok>
static double checked_number(const Field& f, Ok ok, const std::string& what) {
  std::optional<double> v;
  if (f.is_scalar()) v = parse_number(f.node().Scalar());
  if (!v || !ok(*v)) f.expected(what);
  return *v;
}

double Field::number() const {
  return checked_number(*this, [](double) { return true; }, "a number");
}

double Field::positive_number() const {
  return checked_number(*this, [](double v) { return v > 0; }, "a positive number");
}

double Field::nonnegative_number() const {
  return checked_number(*this, [](double v) { return v >= 0; }, "a number >= 0");
}

double Field::duration() const {
  std::optional<double> v;
  if (node_.IsScalar()) v = parse_duration(node_.Scalar());
  if (!v) expected("a duration like 30s, 5m or 1h30m");
  return *v;
}

int64_t Field::bytes() const {
  std::optional<int64_t> v;
  if (node_.IsScalar()) v = parse_bytes(node_.Scalar());
  if (!v) expected("a size like 8GiB, 512MiB or 16GB");
  return *v;
}

double Field::rate() const {
  std::optional<double> v;
  if (node_.IsScalar()) v = parse_rate(node_.Scalar());
  if (!v) expected("a rate like 600GB/s");
  return *v;
}

size_t Field::index_of(const std::vector<std::string>& choices) const {
  const std::string s = one_of(choices);
  for (size_t i = 0; i < choices.size(); ++i)
    if (choices[i] == s) return i;
  return 0;
}

std::string Field::one_of(const std::vector<std::string>& choices) const {
  if (node_.IsScalar()) {
    const std::string& s = node_.Scalar();
    for (const auto& c : choices)
      if (c == s) return s;
    std::string sug = did_you_mean(s, choices);
    if (!sug.empty()) fail("unknown value " + quoted(excerpt(s, 80)) + ", did you mean " + quoted(sug) + "?");
  }
  expected("one of " + join(choices, ", "));
}

Field parse_yaml_document(const std::string& text, const std::string* file, YAML::Node* storage) {
  try {
    *storage = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    throw data_error(*file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                     ": invalid YAML: nested more than " + std::to_string(e.depth()) + " levels deep");
  } catch (const YAML::Exception& e) {
    std::string where = *file;
    if (!e.mark.is_null())
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    // yaml-cpp may quote the offending byte, a newline included: escape it.
    std::string msg = quoted(excerpt(e.msg, 200));
    throw data_error(where + ": invalid YAML: " + msg.substr(1, msg.size() - 2));
  }
  Field root(*storage, "", file);
  if (!storage->IsMap()) {
    if (!storage->IsDefined() || storage->IsNull()) throw data_error(*file + ": empty document, expected a mapping");
    root.expected("a mapping at the top level");
  }
  return root;
}

namespace {

std::string describe_bounds(ValueType type, double min, double max, bool min_open, bool max_open) {
  if (type == ValueType::Flag) return "true or false";
  if (type == ValueType::Integer) {
    if (max >= 1e12) return "a whole number >= " + format_number(min);
    return "a whole number from " + format_number(min) + " to " + format_number(max);
  }
  if (min_open && min == 0) {
    if (max >= 1e12) return "a positive number";
    return "a positive number " + std::string(max_open ? "below " : "up to ") + format_number(max);
  }
  return "a number in " + std::string(min_open ? "(" : "[") + format_number(min) + ", " +
         format_number(max) + (max_open ? ")" : "]");
}
}  // namespace

Value read_value(const Field& f, ValueType type, double min, double max, bool min_open, bool max_open) {
  if (type == ValueType::Flag) return f.boolean();
  std::optional<double> v;
  if (f.is_scalar()) v = parse_number(f.node().Scalar());
  bool ok = v.has_value();
  if (ok) ok = min_open ? *v > min : *v >= min;
  if (ok) ok = max_open ? *v < max : *v <= max;
  if (ok && type == ValueType::Integer) ok = *v == std::floor(*v);
  if (!ok) f.expected(describe_bounds(type, min, max, min_open, max_open));
  if (type == ValueType::Integer) return static_cast<int64_t>(*v);
  return *v;
}

std::optional<double> Field::share() const {
  if (!is_scalar()) return std::nullopt;
  const std::string t = node().Scalar();
  if (t.size() < 2 || t.back() != '%') return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() - 1 || !std::isfinite(v)) return std::nullopt;
  return v / 100;
}

}  // namespace saturn
