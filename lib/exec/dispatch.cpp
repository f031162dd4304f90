#include "exec/dispatch.h"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

namespace saturn {

double simulate_dispatch(const std::vector<DispatchItem>& items, std::vector<double>* starts) {
  // Per-device FIFO queues of the items in order; an item starts when it
  // heads the queue of every device it needs and those devices are free.
  // Each event looks only at queue heads: O(items x devices) in all.
  using Device = std::pair<size_t, int64_t>;
  const size_t n = items.size();
  const double inf = std::numeric_limits<double>::infinity();
  std::map<Device, std::vector<size_t>> queue;
  std::map<Device, size_t> head;
  std::map<Device, double> free_at;
  std::vector<bool> started(n, false);
  std::vector<double> start(n, 0), end(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (int64_t d : items[i].device_ids) queue[{items[i].node, d}].push_back(i);
  auto begin = [&](size_t i, double now) {
    started[i] = true;
    start[i] = now;
    end[i] = now + items[i].duration;
    for (int64_t d : items[i].device_ids) free_at[{items[i].node, d}] = end[i];
  };
  for (size_t i = 0; i < n; ++i)
    if (items[i].running) begin(i, 0);
  double now = 0;
  for (;;) {
    bool any = true;
    while (any) {
      any = false;
      for (auto& [dev, q] : queue) {
        size_t& h = head[dev];
        while (h < q.size() && started[q[h]]) ++h;
        if (h == q.size()) continue;
        const size_t i = q[h];
        bool ready = true;
        for (int64_t d : items[i].device_ids) {
          const Device other{items[i].node, d};
          size_t& oh = head[other];
          const auto& oq = queue[other];
          while (oh < oq.size() && started[oq[oh]]) ++oh;
          auto f = free_at.find(other);
          if (oq[oh] != i || (f != free_at.end() && f->second > now)) ready = false;
        }
        if (ready) {
          begin(i, now);
          any = true;
        }
      }
    }
    double next = inf;
    for (const auto& [dev, t] : free_at)
      if (t > now) next = std::min(next, t);
    if (next == inf) break;  // nothing running: every item has started
    now = next;
  }
  double makespan = 0;
  for (size_t i = 0; i < n; ++i) makespan = std::max(makespan, end[i]);
  if (starts) *starts = start;
  return makespan;
}

}  // namespace saturn
