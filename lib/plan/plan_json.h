// plan.json: a plan as JSON (docs/ARCHITECTURE.md, "Files a run leaves"). One object:
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

// The plan a plan.json holds, mapped onto `p`'s options (a resumed run reads
// its plan back against the problem it rebuilt): each entry names its job,
// technique, devices and node; fused entries are one option. Makespan,
// bound, method, stop, solve_s and milp are read back as written. Throws
// saturn::Error (Data) naming the first entry that does not fit `p`: an
// unknown job, node or strategy, a newer version, a missing field.
Plan plan_from_json(const nlohmann::json& doc, const PlanProblem& p);
// Why a plan read back does not fit p's devices (a requeued Slurm job can
// land on fewer): "device 3 of n1 is not in the cluster"; "" when it fits.
std::string device_misfit(const Plan& plan, const PlanProblem& p);

}  // namespace saturn
