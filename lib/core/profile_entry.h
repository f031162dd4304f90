// Profile: what one strategy costs for one job shape on one kind of device:
// the median step time and peak memory per device, or why it cannot run.
// Keyed by everything that changes a step's cost (docs/ARCHITECTURE.md) and nothing
// that does not (learning rate, seed): one entry serves every job of a
// shape. Entries are measured by trials or filled in by the estimator.
// Plain value types.
#pragma once

#include <cstdint>
#include <string>

#include "technique.h"

namespace saturn {

struct ProfileKey {
  std::string shape;          // JobShape::hash
  Technique technique = Technique::Single;
  std::string knobs;          // the technique's settings, canonical "k=v,k=v"; "" = none
  std::string device;         // catalog model ("cpu", "H100-80GB")
  int64_t devices = 1;        // devices the job uses, all on one node
  int64_t threads = 0;        // intra-op threads per device on cpu devices; 0 on cuda

  bool operator==(const ProfileKey&) const = default;
  std::string str() const;    // "ab12cd/ddp/cpu x2 (1 thread)": for messages
};

enum class ProfileSource { Measured, Estimated };
const char* profile_source_name(ProfileSource s);  // "measured", "estimated"

struct ProfileEntry {
  ProfileKey key;
  std::string shape_id;          // JobShape::id when stored, for people reading the table
  ProfileSource source = ProfileSource::Measured;
  bool feasible = true;
  std::string reason;            // why not feasible: "out of memory: ...", "over the 2 GiB budget: ..."
  double step_time = 0;          // seconds per optimizer step (median), feasible only
  double spread = 0;             // measured: the 95% half-width of the median step, as a share of it (core/step_timing.h)
  int64_t timed_steps = 0;       // measured: how many steps were timed
  double startup = 0;            // a job's fixed seconds: its worker's launch to exit less its steps at
                                 // step_time (start-up, rendezvous, the first steps' extra, exit); 0 = unknown
  int64_t peak_memory = 0;       // bytes per device, the largest over the ranks (measured: RSS or CUDA)
  int64_t accounted_memory = 0;  // bytes per device by saturn's own accounting
  double measured_at = 0;        // unix seconds
  // Measured: the estimator's uncalibrated figures for this key when it was
  // measured (its ideal step and its operator floor, seconds; 0 = not
  // recorded), so the entry calibrates estimates of any shape, in any later
  // workload, without the shape's config.
  double est_ideal = 0, est_floor = 0;
  std::string version;           // saturn version that wrote it

  bool operator==(const ProfileEntry&) const = default;
};

}  // namespace saturn
