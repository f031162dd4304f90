// Cluster: the device inventory a workload runs on: nodes, each with a group
// of identical devices. A job never spans nodes (docs/ARCHITECTURE.md); devices inside a
// node are interchangeable. Plain value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace saturn {

enum class DeviceKind { Cuda, Cpu, Auto };  // auto: cuda when present at run time, else cpu

const char* device_kind_name(DeviceKind k);          // "cuda", "cpu", "auto"
std::vector<std::string> device_kind_names();

struct Node {
  std::string name;            // unique in the cluster
  int64_t replicas = 1;        // identical nodes described once: name-0, name-1, ...
  DeviceKind kind = DeviceKind::Cpu;
  int64_t count = 1;           // devices per node
  std::string model;          // catalog model; "" = none given ("cpu" implied for cpu devices)
  int64_t memory = 0;          // bytes per device; 0 = from the catalog model
  int64_t threads = 1;         // intra-op threads per cpu device
  int64_t reserve = -1;        // bytes per device plans leave free; -1: reserve_share, else the default
  double reserve_share = -1;   // ... as a share of the device's memory; -1: not given

  bool operator==(const Node&) const = default;
};

// Bytes of each of the node's devices (of `memory` bytes, `kind` resolved)
// that no plan uses: the node's `reserve`, else max(2 GiB, 5%) on cuda (the
// CUDA context, the caching allocator's fragmentation, NCCL's buffers) and
// nothing on cpu (a cpu device's memory is the budget the workload gives).
int64_t device_reserve(const Node& n, DeviceKind kind, int64_t memory);

struct Cluster {
  std::vector<Node> nodes;
  // `cluster: slurm`: the template every node of the Slurm allocation follows
  // (name "slurm", replicas = nodes to ask for, devices). nodes is the
  // template itself until load_workload() resolves it inside a Slurm job into
  // one node per allocated host (core/slurm_env.h).
  std::optional<Node> slurm;

  // Nodes with replicas spelled out ("gpu-0", "gpu-1"); replicas == 1 keeps the name.
  std::vector<Node> instances() const;
  int64_t total_devices() const;

  bool operator==(const Cluster&) const = default;
};

}  // namespace saturn
