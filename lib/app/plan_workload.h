// plan_workload: what `saturn plan` computes: the workload's problem from
// the stored profiles (or estimates), the solved plan, the baselines' plans
// when compared (each checked), and the plan.json document (the plan, each
// runtime's source and step time, the baselines' makespans, the profiling
// the store still lacks). Writes nothing. Errors: saturn::Error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/job.h"
#include "core/workload.h"
#include "plan/plan.h"
#include "plan/solve.h"
#include "profile/profile_forecast.h"
#include "profile/workload_problem.h"

namespace saturn {

struct PlanWorkloadOptions {
  std::string workload;     // the workload file
  std::string store;        // profile store; "" = ProfileStore::default_path()
  std::string time_limit;   // solver time limit; "" = the workload's planner.time_limit
  int64_t threads = 0;      // CBC threads; 0 = the workload's planner.threads
  bool compare = false;     // plan the baselines too
  bool cuda_here = false;   // resolves `auto` nodes
};

struct ComparedPlan {
  std::string name;         // the baseline's name
  Plan plan;
};

struct PlannedWorkload {
  Workload workload;
  JobSet jobs;
  PlanOptions options;
  WorkloadProblem problem;
  Plan plan;
  std::vector<ComparedPlan> baselines;  // with compare
  ProfileForecast profiling;            // trials the store lacks (the plan estimated them)
  nlohmann::json doc;                   // plan.json
};

PlannedWorkload plan_workload(const PlanWorkloadOptions& o);

}  // namespace saturn
