// The leaderboard's order of a run's jobs, shared by `saturn run`, `saturn
// status`, `saturn report`, `export` and `generate`: done jobs by the run's
// selection (core/select_spec.h: validation loss by default, the training
// loss where there is none; a task metric, highest first under mode max; a
// value that is not finite or missing last), then the jobs stopped early
// (the furthest first, each by its metric at the last rung it reached),
// then the unfinished ones, in insertion order.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/select_spec.h"
#include "exec/state.h"

namespace saturn {

struct Ranking {
  Selection select;
  // Task metrics: each job's latest scores (eval.NAME.METRIC -> value).
  std::map<std::string, std::map<std::string, double>> scores;
};

std::vector<JobRecord> ranked_jobs(std::vector<JobRecord> jobs, const Ranking& r = {});

// The run's ranking: its state.db meta `select` (recorded by `saturn run`)
// and, for every job, the latest value of each eval.* metric in its
// metrics.jsonl under `run_dir`. Reads only.
Ranking run_ranking(const RunState& st, const std::string& run_dir);

// A job's status as the leaderboard says it: "done", "failed: MESSAGE",
// "stopped early at step S", "running", "pending".
std::string status_cell(const JobRecord& j);

}  // namespace saturn
