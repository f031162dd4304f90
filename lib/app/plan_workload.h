// plan_workload: what `saturn plan` computes: the workload's problem from
// the stored profiles (or estimates), the solved plan, the baselines' plans
// when compared (each checked), and the plan.json document (the plan, each
// runtime's source, step time and band, the baselines' makespans and end to
// end times, the measurement `saturn run` would make first under the
// workload's profile mode). Writes nothing. Errors: saturn::Error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/job.h"
#include "core/workload.h"
#include "plan/plan.h"
#include "plan/solve.h"
#include "profile/measure_plan.h"
#include "profile/profile_forecast.h"
#include "profile/workload_problem.h"

namespace saturn {

struct PlanWorkloadOptions {
  std::string workload;     // the workload file
  std::string store;        // profile store; "" = ProfileStore::default_path()
  std::string time_limit;   // solver time limit; "" = the workload's planner.time_limit
  int64_t work_limit = 0;   // solver effort in nodes; 0 = the workload's planner.work_limit
  int64_t threads = 0;      // CBC threads; 0 = the workload's planner.threads
  bool compare = false;     // plan the baselines too
  bool cuda_here = false;   // resolves `auto` nodes
};

struct ComparedPlan {
  std::string name;         // the baseline's name
  Plan plan;
  double measure_s = 0;     // the measurement it needs first (baseline_measures: the full profile)
  double end_to_end() const { return measure_s + plan.makespan; }
};

struct PlannedWorkload {
  Workload workload;
  JobSet jobs;
  PlanOptions options;
  WorkloadProblem problem;
  Plan plan;
  std::vector<ComparedPlan> baselines;  // with compare
  ProfileForecast profiling;            // what `saturn run` would measure first (profile: mode)
  MeasureChoice measure;                // profile: auto: each estimated strategy's verdict
  nlohmann::json doc;                   // plan.json
  // Measurement (where the devices are) + makespan: the time to results.
  double end_to_end() const { return profiling.where_s + plan.makespan; }
};

PlannedWorkload plan_workload(const PlanWorkloadOptions& o);

}  // namespace saturn
