// Value and Config: the scalar settings of a model architecture (layers,
// width, dropout, tied_head, ...) and of grid axes. A Value is a whole
// number, a real number or a flag; a Config is an ordered list of named
// Values (file order, so output is stable). Plain value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace saturn {

using Value = std::variant<int64_t, double, bool>;

// "12", "3e-4", "true": the text used in job ids, tables and YAML output.
std::string value_text(const Value& v);

// The value as a double (flags as 0/1).
double value_number(const Value& v);

class Config {
 public:
  using Entry = std::pair<std::string, Value>;

  const std::vector<Entry>& entries() const { return entries_; }
  bool has(const std::string& key) const { return find(key) != nullptr; }
  const Value* find(const std::string& key) const;
  // Sets a key (appends a new one at the end).
  void set(const std::string& key, const Value& v);

  // Typed reads; throw saturn::Error(Internal) when the key is absent or of
  // another type (the schema guarantees both after validation).
  int64_t integer(const std::string& key) const;
  double number(const std::string& key) const;  // integers widen
  bool flag(const std::string& key) const;

  // "key=value,key=value" in order: canonical text for hashing.
  std::string canonical() const;

  bool operator==(const Config&) const = default;

 private:
  std::vector<Entry> entries_;
};

}  // namespace saturn
