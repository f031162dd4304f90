// plan.json: a plan as JSON (DESIGN.md, "Files a run leaves"). One object:
// version, makespan_s, bound_s, gap, method, stop, solve_s, milp (the CBC
// run: model size and outcome), the nodes, and
// one entry per job: technique, devices, node, device_ids, start_s, end_s,
// running (already running when planned) and fused_with (the other jobs of
// its fused group). Callers add their own fields (workload, sources).
#pragma once

#include <nlohmann/json.hpp>

#include "plan/plan.h"
#include "plan/problem.h"

namespace saturn {

inline constexpr int kPlanJsonVersion = 1;

nlohmann::json plan_json(const PlanProblem& p, const Plan& plan);

}  // namespace saturn
