// The leaderboard's order of a run's jobs, shared by `saturn run`, `saturn
// status` and `saturn report`: done jobs by validation loss (training loss
// where there is none; a loss that is not finite last), then the jobs
// stopped early (the furthest first, each by its metric at the last rung it
// reached), then the unfinished ones, in insertion order. Pure.
#pragma once

#include <string>
#include <vector>

#include "exec/state.h"

namespace saturn {

std::vector<JobRecord> ranked_jobs(std::vector<JobRecord> jobs);

// A job's status as the leaderboard says it: "done", "failed: MESSAGE",
// "stopped early at step S", "running", "pending".
std::string status_cell(const JobRecord& j);

}  // namespace saturn
