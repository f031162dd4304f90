#include "exec/dispatch.h"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

namespace saturn {

double simulate_dispatch(const std::vector<DispatchItem>& items, std::vector<double>* starts) {
  const size_t n = items.size();
  std::vector<bool> started(n, false);
  std::vector<double> start(n, 0), end(n, 0);
  std::map<std::pair<size_t, int64_t>, double> free_at;  // device -> when it frees
  for (size_t i = 0; i < n; ++i)
    if (items[i].running) {
      started[i] = true;
      end[i] = items[i].duration;
      for (int64_t d : items[i].device_ids) free_at[{items[i].node, d}] = end[i];
    }
  double now = 0, makespan = 0;
  for (size_t left = static_cast<size_t>(std::count(started.begin(), started.end(), false)); left > 0;) {
    bool any = false;
    for (size_t i = 0; i < n; ++i) {
      if (started[i]) continue;
      auto busy = [&](size_t node, int64_t d) {
        auto it = free_at.find({node, d});
        return it != free_at.end() && it->second > now;
      };
      if (!may_start(items, started, i, busy)) continue;
      started[i] = true;
      start[i] = now;
      end[i] = now + items[i].duration;
      for (int64_t d : items[i].device_ids) free_at[{items[i].node, d}] = end[i];
      --left;
      any = true;
    }
    if (left == 0) break;
    // Nothing more can start now: move to the next device release.
    double next = std::numeric_limits<double>::infinity();
    for (const auto& [dev, t] : free_at)
      if (t > now) next = std::min(next, t);
    if (!any && next == std::numeric_limits<double>::infinity()) break;  // cannot happen for a total order
    if (next != std::numeric_limits<double>::infinity()) now = next;
  }
  for (size_t i = 0; i < n; ++i) makespan = std::max(makespan, end[i]);
  if (starts) *starts = start;
  return makespan;
}

}  // namespace saturn
