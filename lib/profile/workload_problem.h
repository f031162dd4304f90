// The planner's view of a workload: its jobs, its nodes and, for every job,
// every feasible strategy on every node with the job's runtime (profile_view:
// measured, else estimated). `sources[o]` says where option o's runtime came
// from ("measured", "calibrated estimate", "raw estimate"); `steps[o]` its
// step time; `bands[o]` how far off its duration may be (0 when measured);
// `rows[o]` the strategy (index into `view`) it comes from. Throws
// saturn::Error (Data) naming a job no strategy can run.
#pragma once

#include <string>
#include <vector>

#include "core/job.h"
#include "core/workload.h"
#include "plan/problem.h"
#include "plan/solve.h"
#include "profile/runtime.h"
#include "profile/store.h"
#include "profile/view.h"
#include "profile/trials.h"

namespace saturn {

struct WorkloadProblem {
  PlanProblem problem;
  std::vector<std::string> sources;     // per option
  std::vector<double> step_times;       // per option, seconds
  std::vector<double> bands;            // per option: its estimate's band width (0: measured)
  std::vector<size_t> rows;             // per option: index into view
  std::vector<std::string> shapes;      // per job: its shape id
  std::vector<ProfileRow> view;         // every strategy with its knowledge (profile_view)
};

// The solver settings of a workload, with the --time-limit ("" = the
// workload's) and --threads (0 = the workload's) flags over them. Throws a
// usage error for a bad --time-limit.
// `work_limit` > 0 (--work-limit) or the workload's planner.work_limit
// plans by effort, not time (solve.h), unless --time-limit is given.
PlanOptions plan_options(const Workload& w, const std::string& time_limit, int64_t threads, int64_t work_limit = 0);

// Drops the options whose technique the engine cannot run (none today: it
// runs every technique, fused groups included), so `saturn run` executes
// only what trains. Throws saturn::Error (Data) naming a job left without any.
void keep_executable(WorkloadProblem& wp);

// `counted`: the workload's tokenized text (prepare_text_data).
WorkloadProblem workload_problem(const Workload& w, const JobSet& jobs, const std::vector<DeviceGroup>& groups,
                                 const ProfileStore& store, const TextTokenCounts& counted);

}  // namespace saturn
