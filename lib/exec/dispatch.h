// The dispatch rule the runner follows, and its prediction. A plan's items
// run in plan order per device: an item starts once every device it is
// planned on is free and it is the first unstarted item on each of them
// (device FIFO queues; the plan's start times are only a forecast). Because
// the order is total, the first unstarted item can always start once its
// devices free up: no deadlock. Pure functions of plain data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace saturn {

struct DispatchItem {
  size_t node = 0;
  std::vector<int64_t> device_ids;
  double duration = 0;     // seconds (remaining ones for a running item)
  bool running = false;    // already started: holds its devices from time 0
};

// Start and end of every item (in the order given) under the rule above,
// with running items from 0 to their duration. Returns the makespan.
double simulate_dispatch(const std::vector<DispatchItem>& items, std::vector<double>* starts = nullptr);

// Whether item i may start now: `started[k]` says item k has started (or
// is finished or dropped), `busy(node, device)` says a device is held.
template <class Busy>
bool may_start(const std::vector<DispatchItem>& items, const std::vector<bool>& started, size_t i, Busy busy) {
  for (int64_t d : items[i].device_ids) {
    if (busy(items[i].node, d)) return false;
    for (size_t k = 0; k < i; ++k) {
      if (started[k] || items[k].node != items[i].node) continue;
      for (int64_t e : items[k].device_ids)
        if (e == d) return false;
    }
  }
  return true;
}

}  // namespace saturn
