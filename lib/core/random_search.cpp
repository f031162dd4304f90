#include "random_search.h"

#include "hash.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace saturn {
namespace {

uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A uniform draw in [0, 1) from 53 bits.
double unit(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

// Three significant figures, kept within [lo, hi].
double three_figures(double x, double lo, double hi) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", x);
  return std::clamp(std::strtod(b, nullptr), lo, hi);
}

}  // namespace

const char* distribution_name(Distribution::Kind k) {
  switch (k) {
    case Distribution::Kind::Log: return "log";
    case Distribution::Kind::Uniform: return "uniform";
    case Distribution::Kind::Int: return "int";
    case Distribution::Kind::Choice: return "choice";
  }
  return "?";
}

std::vector<std::pair<std::string, Value>> RandomSearch::point(int64_t t) const {
  std::vector<std::pair<std::string, Value>> out;
  for (size_t a = 0; a < axes.size(); ++a) {
    const Distribution& d = axes[a].dist;
    // One stream per (seed, trial, axis): adding an axis leaves the others' draws as they were.
    const uint64_t bits = splitmix(splitmix(seed ^ splitmix(static_cast<uint64_t>(t) + 1)) ^ fnv1a64(axes[a].key));
    const double u = unit(bits);
    Value v;
    switch (d.kind) {
      case Distribution::Kind::Log: v = three_figures(std::exp(std::log(d.lo) + u * (std::log(d.hi) - std::log(d.lo))), d.lo, d.hi); break;
      case Distribution::Kind::Uniform: v = three_figures(d.lo + u * (d.hi - d.lo), d.lo, d.hi); break;
      case Distribution::Kind::Int:
        v = static_cast<int64_t>(d.lo) + static_cast<int64_t>(u * (d.hi - d.lo + 1));
        break;
      case Distribution::Kind::Choice: v = d.choices[static_cast<size_t>(u * static_cast<double>(d.choices.size()))]; break;
    }
    if (d.type == ValueType::Integer && std::holds_alternative<double>(v))
      v = static_cast<int64_t>(std::llround(std::get<double>(v)));
    out.emplace_back(axes[a].key, v);
  }
  return out;
}

}  // namespace saturn
