// RandomSearch: a workload's sampled search space (search.random): N trials,
// each a joint draw of every key from its distribution, seeded, so the same
// workload always gives the same points. Combined with the grid: every grid
// point x every trial. Real draws keep three significant figures (what job
// ids show is what trains). Plain value types; pure.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "arch.h"
#include "value.h"

namespace saturn {

struct Distribution {
  enum class Kind { Log, Uniform, Int, Choice };
  Kind kind = Kind::Uniform;
  double lo = 0, hi = 0;       // log, uniform, int: inclusive bounds
  std::vector<Value> choices;  // choice
  ValueType type = ValueType::Real;  // of the key: what a draw is

  bool operator==(const Distribution&) const = default;
};

struct RandomAxis {
  std::string key;
  Distribution dist;

  bool operator==(const RandomAxis&) const = default;
};

struct RandomSearch {
  int64_t trials = 0;  // 0: no sampled search
  uint64_t seed = 0;
  std::vector<RandomAxis> axes;

  // Trial t's values (t in [0, trials)), in axis order.
  std::vector<std::pair<std::string, Value>> point(int64_t t) const;

  bool operator==(const RandomSearch&) const = default;
};

// "log", "uniform", "int", "choice".
const char* distribution_name(Distribution::Kind k);

}  // namespace saturn
