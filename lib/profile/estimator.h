// Estimator: an analytic model of a training step per technique over the
// GPU catalog, calibrated by what the profiler measured.
//
// For a job shape, a technique and n devices of one catalog model it counts
// (ModelCost) the FLOPs of a step, the bytes of parameters, gradients,
// optimizer state and activations per device, and the communication a step
// needs: all-reduce of the gradients (DDP), all-gather of the parameters
// twice and reduce-scatter of the gradients (FSDP), point-to-point
// activations and the bubble (pipeline), host <-> device copies of every
// block twice (spilling). The ideal step is that compute at peak plus the
// optimizer's pass over its state at memory bandwidth plus the communication
// that is not overlapped. A step also has a floor: the operators it launches
// (about 120 per transformer block, 25 per other block) times a per-operator
// overhead (kernel launch and dispatch). On a GPU, launches overlap the work:
// step = max(floor, ideal / efficiency); on CPU they do not: step = floor +
// ideal / efficiency. Calibration fits, per technique and device model, the
// efficiency (and on CPU the floor's scale too) to the measured entries by
// least relative squares, falling back to single-device figures on that
// model, then to defaults. A job also has a fixed cost (launch, set-up,
// rendezvous, the first steps' allocations, exit): the median measured on
// that device model (single or multi-device), else a default. Memory over
// the device's budget makes the estimate infeasible with the reason.
//
// Every estimate has an error band (band()): the true step is expected in
// [estimate / (1 + width), estimate x (1 + width)]. It is learned from the
// measured entries of its fit: each one predicted by the fit of the others
// (leave one out), width = exp(2 x the RMS of log(measured / predicted)) - 1;
// one measured entry gives `band_one_point`; a technique fitted from another
// technique's figures adds `band_other_technique`; nothing measured on the
// device model gives `band_raw`. A measured entry of any shape calibrates:
// its stored raw figures (ProfileEntry::est_ideal, est_floor) stand in for
// a shape this workload does not have. Thread safe (no state after
// construction).
#pragma once

#include <array>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "core/catalog.h"
#include "core/job.h"
#include "core/profile_entry.h"
#include "core/train_spec.h"
#include "core/workload.h"

namespace saturn {

struct EstimateOptions {
  const Catalog* catalog = &default_catalog();
  Optimizer optimizer = Optimizer::AdamW;  // state bytes: AdamW 8, SGD 4 per parameter
  Precision precision = Precision::Auto;   // auto: bf16 on GPUs, fp32 on cpu
  int64_t memory_budget = 0;               // bytes per device; 0 = the catalog model's memory
  double default_efficiency_gpu = 0.40;    // fraction of peak before any calibration
  double default_efficiency_cpu = 0.60;    // of the catalog's nominal core (MKL on AVX-512 beats it)
  double op_overhead_gpu = 8e-6;           // seconds per operator launched (launch + dispatch)
  double op_overhead_cpu = 5e-6;
  double fixed_cost_gpu = 10;              // seconds per job before calibration: CUDA context, model, exit
  double fixed_cost_cpu = 0.5;
  double rendezvous_gpu = 5;               // more on several devices (NCCL set-up, one process each)
  double rendezvous_cpu = 0.4;
  // Error bands (multiplicative widths: 0.25 = within 1.25x either way).
  double band_raw = 1.0;                   // nothing measured on the device model
  double band_one_point = 0.5;             // the fit rests on one measurement (an extrapolation)
  double band_other_technique = 0.4;       // added when another technique's fit stands in
  double band_min = 0.03;                  // the narrowest (timing noise, thermal drift)
};

// How far an estimate may be off: the true value in [e / (1 + width), e x (1 + width)].
struct EstimateBand {
  double width = 1.0;
  int64_t points = 0;        // measured entries behind the fit it comes from
  std::string basis;         // "fitted to 5 measured ddp on cpu", "no measurement on H100-80GB", ...
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
  // The step's floor before calibration: operators launched x overhead.
  std::optional<double> step_floor(const JobShape& shape, const ProfileKey& key) const;
  // A job's fixed seconds under `key`: measured on that device model
  // (median), else the defaults.
  double fixed_cost(const ProfileKey& key, bool* calibrated = nullptr) const;
  // The error band of this technique's step estimates on a device model.
  EstimateBand band(Technique t, const std::string& device) const;
  // The raw figures stored with a measurement (ProfileEntry::est_ideal,
  // est_floor) of `key` for `shape`: {ideal, floor}, or {0, 0}.
  std::pair<double, double> raw_figures(const JobShape& shape, const ProfileKey& key) const;

 private:
  EstimateOptions o_;
  struct Fit {
    Technique technique;
    std::string device;
    double inverse_efficiency;  // seconds of step per ideal second
    double floor_scale;         // of step_floor
    int64_t points;             // measured entries it was fitted to
    double band;                // width from the leave-one-out residuals
  };
  const Fit* fit(Technique t, const std::string& device) const;
  std::vector<Fit> fits_;
  struct Fixed {
    std::string device;
    bool multi;                 // measured on several devices
    double seconds;
  };
  std::vector<Fixed> fixed_;
};

// The median of `v` (the mean of the middle two when even); 0 when empty.
double median(std::vector<double> v);

// The workload's optimizer and precision; the other options at their defaults.
EstimateOptions estimate_options(const Workload& w);

// The least-squares fit of measured = a x floor + b x ideal (relative
// errors, a >= 0, b > 0) over points {floor, ideal, measured}; with one point
// or a degenerate set, a = 1 where the floor is under 80% of what was
// measured (else scaled to that). Returns {a, b}.
std::pair<double, double> fit_floor_and_rate(const std::vector<std::array<double, 3>>& points);

}  // namespace saturn
