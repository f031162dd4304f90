#include "grid.h"

namespace saturn {

const GridAxis* Grid::find(const std::string& key) const {
  for (const auto& a : axes)
    if (a.key == key) return &a;
  return nullptr;
}

size_t Grid::size() const {
  size_t n = 1;
  for (const auto& a : axes) n *= a.values.size();
  return n;
}

Grid Grid::merge(const Grid& base, const Grid& overrides) {
  Grid r = base;
  for (const auto& o : overrides.axes) {
    bool replaced = false;
    for (auto& a : r.axes)
      if (a.key == o.key) {
        a = o;
        replaced = true;
      }
    if (!replaced) r.axes.push_back(o);
  }
  return r;
}

}  // namespace saturn
