#include "profile/trial_batches.h"

#include <algorithm>
#include <cmath>

namespace saturn {

bool same_process(const Trial& a, const Trial& b) {
  return a.shape == b.shape && a.group == b.group && a.key.devices == b.key.devices && a.job == b.job &&
         a.key.device == b.key.device;
}

std::vector<size_t> trial_batch(const std::vector<size_t>& pending, size_t first, const std::vector<Trial>& trials,
                                int64_t places) {
  const Trial& lead = trials[pending[first]];
  std::vector<size_t> mates;  // the lead's shape, lead first
  int64_t width = 0;          // pending trials of the lead's width on its group
  mates.push_back(pending[first]);
  for (size_t i = 0; i < pending.size(); ++i) {
    const Trial& t = trials[pending[i]];
    if (t.group != lead.group || t.key.devices != lead.key.devices) continue;
    ++width;
    if (i != first && same_process(lead, t)) mates.push_back(pending[i]);
  }
  const auto m = static_cast<double>(mates.size());
  const double processes =
      std::max(1.0, std::round(static_cast<double>(std::max<int64_t>(places, 1)) * m / static_cast<double>(width)));
  mates.resize(static_cast<size_t>(std::ceil(m / std::min(processes, m))));
  return mates;
}

int64_t trial_places(const DeviceGroup& g, int64_t devices) {
  if (devices <= 0 || devices > g.count) return 0;
  return static_cast<int64_t>(g.nodes.size()) * (g.count / devices);
}

}  // namespace saturn
