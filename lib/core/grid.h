// Grid: the search space of a workload, one axis per hyperparameter or model
// config key, each with its values in file order. Jobs are models x grid
// (the cartesian product, first axis slowest). Plain value types.
#pragma once

#include <string>
#include <vector>

#include "value.h"

namespace saturn {

struct GridAxis {
  std::string key;            // a hyperparameter ("lr") or a config key ("layers")
  std::vector<Value> values;  // at least one, no duplicates

  bool operator==(const GridAxis&) const = default;
};

struct Grid {
  std::vector<GridAxis> axes;

  const GridAxis* find(const std::string& key) const;
  // Points in the product (1 for an empty grid).
  size_t size() const;
  // `base` with `overrides`' axes replacing or adding to it (key order: base's, then new ones).
  static Grid merge(const Grid& base, const Grid& overrides);

  bool operator==(const Grid&) const = default;
};

}  // namespace saturn
