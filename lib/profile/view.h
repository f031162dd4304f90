// ProfileView: every strategy the planner may choose for a workload's shapes
// on its cluster, each with the best knowledge saturn has: the stored entry
// (measured, or infeasible by accounting), else a calibrated estimate (the
// estimator fitted on what was measured on that device model), else a raw
// estimate (catalog figures and default efficiency). Strategies: each
// allowed technique, on each device group, at each device count it can use
// (single: 1; the others: 2 .. devices per node). Shapes the estimator
// cannot cost (TorchScript) appear only where measured. Plain values.
#pragma once

#include <string>
#include <vector>

#include "core/job.h"
#include "core/workload.h"
#include "profile/estimator.h"
#include "profile/runtime.h"
#include "profile/store.h"
#include "profile/trials.h"

namespace saturn {

struct ProfileRow {
  size_t shape = 0;            // index into JobSet::shapes
  size_t group = 0;            // index into the device groups
  ProfileEntry entry;
  std::string source;          // "measured", "calibrated estimate", "raw estimate"
  EstimateBand band;           // estimates: how far off the step time may be; measured: width 0
  JobRuntime runtime;          // of the shape's first job (feasible rows)
  double checkpoint_bytes = 0; // what one checkpoint under this strategy holds
};

// A stored entry judged against this workload's budget (bytes per device;
// 0 = none): saturn's accounting over it, or on cpu devices a measured peak
// RSS over it (not for spilling, whose host-resident state is in the same
// RSS), makes it infeasible with the reason. Stored facts (step time,
// memory) do not depend on the budget, so one measurement serves every budget.
void apply_budget(ProfileEntry& e, int64_t budget, bool cpu);

// `counted`: the workload's tokenized text (prepare_text_data), for step counts.
std::vector<ProfileRow> profile_view(const Workload& w, const JobSet& jobs, const std::vector<DeviceGroup>& groups,
                                     const ProfileStore& store, const TextTokenCounts& counted);

}  // namespace saturn
