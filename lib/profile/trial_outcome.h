// What a finished profiling trial means, from its worker's exit code and
// the rank files it left (run_files::read_trial): measured (every rank
// wrote a feasible result, exit 0), out of memory (a rank says so; stored
// infeasible), unavailable (exit 69: these devices are not here; the group
// is skipped and estimated), bad input (exit 65 or 66: the workload's data
// or weights, which every other trial would fail on too), or failed
// (anything else; nothing stored).
// Stateless.
#pragma once

#include <string>
#include <vector>

#include "core/run_files.h"
#include "profile/store.h"

namespace saturn {

enum class TrialOutcome { Measured, OutOfMemory, Unavailable, BadInput, Failed };

struct TrialVerdict {
  TrialOutcome outcome = TrialOutcome::Failed;
  std::string why;  // OutOfMemory: the rank's reason; Unavailable, Failed: what the worker said
};

// Reads the `ranks` rank files of `run_dir`; `last_log_line` is what the
// worker last said.
TrialVerdict classify_trial(int exit_code, const std::string& run_dir, int64_t ranks, const std::string& last_log_line,
                            std::vector<run_files::Trial>* results);

// The measurement `results` (rank 0's step time, the largest peak memory
// over ranks) written into `e`; or its reason when out of memory. `wall_s`
// is the trial's launch to exit as its profiler saw it: less its steps at
// the median step time, it is the job's fixed cost (e.startup; at least the
// ranks' start to their first step).
void record_trial(const TrialVerdict& v, const std::vector<run_files::Trial>& results, double wall_s, ProfileEntry& e);

}  // namespace saturn
