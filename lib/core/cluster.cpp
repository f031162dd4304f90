#include "cluster.h"

namespace saturn {

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
