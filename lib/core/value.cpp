#include "value.h"

#include "error.h"
#include "text.h"

namespace saturn {

std::string value_text(const Value& v) {
  if (auto i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto d = std::get_if<double>(&v)) return format_number(*d);
  return std::get<bool>(v) ? "true" : "false";
}

double value_number(const Value& v) {
  if (auto i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (auto d = std::get_if<double>(&v)) return *d;
  return std::get<bool>(v) ? 1.0 : 0.0;
}

const Value* Config::find(const std::string& key) const {
  for (const auto& [k, v] : entries_)
    if (k == key) return &v;
  return nullptr;
}

void Config::set(const std::string& key, const Value& v) {
  for (auto& [k, old] : entries_)
    if (k == key) {
      old = v;
      return;
    }
  entries_.emplace_back(key, v);
}

int64_t Config::integer(const std::string& key) const {
  const Value* v = find(key);
  if (!v || !std::holds_alternative<int64_t>(*v)) throw internal_error("config: no whole-number key " + quoted(key));
  return std::get<int64_t>(*v);
}

double Config::number(const std::string& key) const {
  const Value* v = find(key);
  if (!v || std::holds_alternative<bool>(*v)) throw internal_error("config: no numeric key " + quoted(key));
  return value_number(*v);
}

bool Config::flag(const std::string& key) const {
  const Value* v = find(key);
  if (!v || !std::holds_alternative<bool>(*v)) throw internal_error("config: no flag key " + quoted(key));
  return std::get<bool>(*v);
}

std::string Config::canonical() const {
  std::string r;
  for (const auto& [k, v] : entries_) {
    if (!r.empty()) r += ',';
    r += k + "=" + value_text(v);
  }
  return r;
}

}  // namespace saturn
