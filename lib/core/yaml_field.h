// Field: a YAML node together with its field path and file, so that every
// check can fail with one positioned line:
//   "quickstart.yaml:12:5: search.grid.lr: expected a positive number, got "fast""
//
// Fields are cheap views used while parsing one document; they borrow the file
// name, which must outlive them. Every accessor that fails throws
// saturn::Error (kind Data unless stated). Not thread safe (yaml-cpp nodes
// are not).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "arch.h"
#include "error.h"
#include "value.h"

namespace saturn {

class Field {
 public:
  Field(YAML::Node node, std::string path, const std::string* file)
      : node_(std::move(node)), path_(std::move(path)), file_(file) {}

  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }

  // "file:line:col" of this node (1-based).
  std::string where() const;

  // Throws Error(kind, "<where>: <path>: <what>").
  [[noreturn]] void fail(const std::string& what, ErrorKind kind = ErrorKind::Data) const;
  // Throws "expected <expected>, got <describe()>".
  [[noreturn]] void expected(const std::string& expected) const;
  // What the node is, for messages: "\"fast\"", "a mapping", "a list", "nothing".
  std::string describe() const;

  bool is_map() const { return node_.IsMap(); }
  bool is_list() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }
  bool is_null() const { return node_.IsNull(); }

  // Mapping access. check_keys() requires a mapping and rejects duplicate keys
  // and keys outside `allowed` (with a did-you-mean suggestion).
  void check_keys(const std::vector<std::string>& allowed) const;
  std::optional<Field> get(const std::string& key) const;
  Field required(const std::string& key) const;
  // Entries of a mapping in file order: (key field, value field); both carry
  // the child's path ("search.grid.lr"), the key field the key's position.
  std::vector<std::pair<Field, Field>> entries() const;

  // Items of a list, in order (path "x[i]"); requires a list.
  std::vector<Field> items() const;
  // A list, or a single scalar read as a one-item list.
  std::vector<Field> items_or_scalar() const;

  // Scalars.
  std::string text() const;                        // any non-empty scalar
  std::string name() const;                        // [A-Za-z0-9][A-Za-z0-9._-]*
  bool boolean() const;                            // true | false
  int64_t integer(int64_t min, int64_t max) const; // whole number in [min, max]
  double number() const;                           // any finite number
  double positive_number() const;                  // > 0
  double nonnegative_number() const;               // >= 0
  double duration() const;                         // "30s", "5m", ...
  int64_t bytes() const;                           // "8GiB", ...
  std::optional<double> share() const;             // "5%" -> 0.05; nullopt when not a percentage
  double rate() const;                             // "600GB/s"
  std::string one_of(const std::vector<std::string>& choices) const;
  // one_of() as an index into `choices` (for enums listed in order).
  size_t index_of(const std::vector<std::string>& choices) const;

 private:
  YAML::Node node_;
  std::string path_;
  const std::string* file_;
};

// The root field of a document parsed from `text`; YAML syntax errors become
// positioned Data errors. The document must be a mapping.
Field parse_yaml_document(const std::string& text, const std::string* file, YAML::Node* storage);

// A number of `type` within [min, max] (either end open), or true/false
// for Flag; else the field's "expected ..." error naming the range.
Value read_value(const Field& f, ValueType type, double min, double max, bool min_open = false,
                 bool max_open = false);

}  // namespace saturn
