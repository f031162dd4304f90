// Estimator: an analytic model of a training step per technique over the
// GPU catalog, calibrated by what the profiler measured.
//
// For a job shape, a technique and n devices of one catalog model it counts
// (ModelCost) the FLOPs of a step, the bytes of parameters, gradients,
// optimizer state and activations per device, and the communication a step
// needs: all-reduce of the gradients (DDP), all-gather of the parameters
// twice and reduce-scatter of the gradients (FSDP), point-to-point
// activations and the bubble (pipeline), host <-> device copies of every
// block twice (spilling). Time = compute / (peak x efficiency) + the
// communication that is not overlapped. The efficiency is fitted per
// technique and device model from measured entries (the median of ideal /
// measured), falling back to single-device efficiency on that model, then
// to a default. Memory over the device's budget makes the estimate
// infeasible with the reason. Thread safe (no state after construction).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/catalog.h"
#include "core/job.h"
#include "core/profile_entry.h"
#include "core/train_spec.h"

namespace saturn {

struct EstimateOptions {
  const Catalog* catalog = &default_catalog();
  Optimizer optimizer = Optimizer::AdamW;  // state bytes: AdamW 8, SGD 4 per parameter
  Precision precision = Precision::Auto;   // auto: bf16 on GPUs, fp32 on cpu
  int64_t memory_budget = 0;               // bytes per device; 0 = the catalog model's memory
  double default_efficiency_gpu = 0.40;    // fraction of peak before any calibration
  double default_efficiency_cpu = 0.30;
};

// Bytes per device a strategy needs by saturn's own accounting (the same one
// the trials check on cpu devices).
struct MemoryUse {
  double weights = 0, gradients = 0, optimizer = 0, activations = 0, buffers = 0;
  double total() const { return weights + gradients + optimizer + activations + buffers; }
};

class Estimator {
 public:
  // `measured`: entries the profiler measured (any shapes): calibration.
  Estimator(EstimateOptions o, const std::vector<ProfileEntry>& measured, const JobSet& jobs);

  // Memory per device of `key` for `shape`; nullopt when the shape's cost is
  // unknown (TorchScript).
  std::optional<MemoryUse> memory(const JobShape& shape, const ProfileKey& key) const;
  // An Estimated entry for `key` (feasible or not, with the reason); nullopt
  // when the shape cannot be estimated or the device model is unknown.
  std::optional<ProfileEntry> estimate(const JobShape& shape, const ProfileKey& key) const;
  // The fitted efficiency for a technique on a device model, and whether it
  // came from measurements.
  double efficiency(Technique t, const std::string& device, bool* calibrated = nullptr) const;
  // The step time with efficiency 1 (ideal), or nullopt.
  std::optional<double> ideal_step_time(const JobShape& shape, const ProfileKey& key) const;

 private:
  EstimateOptions o_;
  struct Fit {
    Technique technique;
    std::string device;
    double efficiency;
  };
  std::vector<Fit> fits_;
};

}  // namespace saturn
