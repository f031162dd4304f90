// TrialSlots: which devices of which node a profiling trial takes, so that
// trials run at once only on disjoint devices. Each device group's nodes
// are flattened; a trial of group g takes the lowest free device ids of the
// first node of g with enough of them. Not thread safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "profile/trials.h"

namespace saturn {

struct TrialPlace {
  size_t node = 0;             // index into the flattened nodes
  std::vector<int64_t> ids;    // device ids on that node
  std::vector<std::string> devices;  // "cuda:N" or "cpu", one per id: the worker's --devices
};

class TrialSlots {
 public:
  explicit TrialSlots(const std::vector<DeviceGroup>& groups);
  // Takes `devices` free devices of one node of `group`; nullopt when no
  // node has that many free now.
  std::optional<TrialPlace> take(size_t group, int64_t devices);
  void give_back(const TrialPlace& p);
  int64_t busy() const;  // devices taken now

 private:
  struct Node {
    size_t group;
    std::vector<bool> busy;
  };
  std::vector<DeviceGroup> groups_;
  std::vector<Node> nodes_;
};

}  // namespace saturn
