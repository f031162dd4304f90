#include "cluster.h"

#include <algorithm>

namespace saturn {

int64_t device_reserve(const Node& n, DeviceKind kind, int64_t memory) {
  if (n.reserve >= 0) return std::min(n.reserve, memory);
  if (n.reserve_share >= 0) return static_cast<int64_t>(n.reserve_share * static_cast<double>(memory));
  if (kind != DeviceKind::Cuda) return 0;
  return std::min(memory / 2, std::max<int64_t>(int64_t{2} << 30, memory / 20));  // (half, on a tiny GPU)
}

const char* device_kind_name(DeviceKind k) {
  switch (k) {
    case DeviceKind::Cuda: return "cuda";
    case DeviceKind::Cpu: return "cpu";
    case DeviceKind::Auto: return "auto";
  }
  return "?";
}

std::vector<std::string> device_kind_names() { return {"cuda", "cpu", "auto"}; }

std::vector<Node> Cluster::instances() const {
  std::vector<Node> r;
  for (const auto& n : nodes) {
    for (int64_t i = 0; i < n.replicas; ++i) {
      Node copy = n;
      copy.replicas = 1;
      if (n.replicas > 1) copy.name = n.name + "-" + std::to_string(i);
      r.push_back(copy);
    }
  }
  return r;
}

int64_t Cluster::total_devices() const {
  int64_t total = 0;
  for (const auto& n : nodes) total += n.replicas * n.count;
  return total;
}

}  // namespace saturn
