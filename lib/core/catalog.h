// Catalog: the device models a cluster may name (configs/gpus.yaml), with the
// nominal figures the estimator uses. The default catalog is compiled into
// the binary from configs/gpus.yaml, so saturn needs no data files at run
// time. Immutable after loading; thread safe for reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace saturn {

struct GpuModel {
  std::string name;             // as workloads spell it: "A100-40GB", "cpu"
  int64_t memory = 0;           // bytes per device
  double fp32_flops = 0;        // peak FLOP/s
  double bf16_flops = 0;        // peak FLOP/s
  double memory_bandwidth = 0;  // bytes/s
  double link_bandwidth = 0;    // bytes/s, device to device in a node, one direction
  double host_bandwidth = 0;    // bytes/s, host to device, one direction
};

class Catalog {
 public:
  explicit Catalog(std::vector<GpuModel> models) : models_(std::move(models)) {}

  const std::vector<GpuModel>& models() const { return models_; }
  // The model with this exact name, or nullptr.
  const GpuModel* find(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  std::vector<GpuModel> models_;
};

// Parses a catalog document; `file` names it in errors (saturn::Error, Data).
Catalog load_catalog(const std::string& text, const std::string& file);

// The catalog compiled in from configs/gpus.yaml.
const Catalog& default_catalog();

}  // namespace saturn
