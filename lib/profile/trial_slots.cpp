#include "profile/trial_slots.h"

namespace saturn {

TrialSlots::TrialSlots(const std::vector<DeviceGroup>& groups) : groups_(groups) {
  for (size_t g = 0; g < groups.size(); ++g)
    for (size_t n = 0; n < groups[g].nodes.size(); ++n)
      nodes_.push_back({g, std::vector<bool>(static_cast<size_t>(groups[g].count))});
}

std::optional<TrialPlace> TrialSlots::take(size_t group, int64_t devices) {
  for (size_t n = 0; n < nodes_.size(); ++n) {
    if (nodes_[n].group != group) continue;
    std::vector<int64_t> ids;
    for (size_t d = 0; d < nodes_[n].busy.size() && static_cast<int64_t>(ids.size()) < devices; ++d)
      if (!nodes_[n].busy[d]) ids.push_back(static_cast<int64_t>(d));
    if (static_cast<int64_t>(ids.size()) < devices) continue;
    TrialPlace p;
    p.node = n;
    p.ids = ids;
    for (int64_t id : ids) {
      nodes_[n].busy[static_cast<size_t>(id)] = true;
      p.devices.push_back(groups_[group].kind == DeviceKind::Cuda ? "cuda:" + std::to_string(id) : "cpu");
    }
    return p;
  }
  return std::nullopt;
}

void TrialSlots::give_back(const TrialPlace& p) {
  for (int64_t id : p.ids) nodes_.at(p.node).busy.at(static_cast<size_t>(id)) = false;
}

int64_t TrialSlots::busy() const {
  int64_t n = 0;
  for (const auto& node : nodes_)
    for (bool b : node.busy) n += b;
  return n;
}

}  // namespace saturn
