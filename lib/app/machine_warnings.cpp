#include "app/machine_warnings.h"

#include <algorithm>

#include "core/text.h"

namespace saturn {

std::vector<std::string> machine_warnings(const Workload& w, int64_t cores, bool cuda_here) {
  std::vector<std::string> out;
  if (w.cluster.slurm) return out;
  int64_t devices = 0, threads = 0;
  std::vector<std::string> cuda_nodes;
  for (const Node& n : w.cluster.instances()) {
    const bool cuda = n.kind == DeviceKind::Cuda || (n.kind == DeviceKind::Auto && cuda_here);
    if (cuda) {
      if (!cuda_here) cuda_nodes.push_back(n.name);
      continue;
    }
    devices += n.count;
    threads += n.count * std::max<int64_t>(1, n.threads);
  }
  if (cores > 0 && threads > cores)
    out.push_back("the cluster's cpu devices use " + std::to_string(threads) + " threads (" + std::to_string(devices) +
                  " devices) on this machine's " + std::to_string(cores) + " cores: jobs slow each other down and " +
                  "measured steps mislead the plan; lower devices.count or devices.threads");
  if (!cuda_nodes.empty())
    out.push_back(std::string(cuda_nodes.size() == 1 ? "node " : "nodes ") + join(cuda_nodes, ", ") +
                  (cuda_nodes.size() == 1 ? " lists" : " list") + " cuda devices and this machine has none: " +
                  "their jobs cannot start here (saturn plan plans for another machine; so does cluster: slurm)");
  return out;
}

}  // namespace saturn
