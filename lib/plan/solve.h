// solve_plan: the planner. Validates the problem, drops dominated options,
// computes the lower bounds, builds the heuristic plan, then lets CBC improve
// it on the time-indexed model (milp.h) in the time left, and returns the
// best plan found with the best proven bound, the time spent and why it
// stopped. Always returns a valid plan (checked), even at a tiny time limit.
//
// Determinism: the bounds, the heuristic and the compaction are
// deterministic and CBC runs on one thread; a plan can differ between runs
// only when the time limit cuts CBC before it closes the gap (the stop
// reason then says "time limit", or the milp line a cut resolution). Under
// a work limit nothing depends on the clock: the same problem gets the same
// plan on any machine.
// Throws saturn::Error: Data for a bad problem, Internal if a plan fails
// its check (a bug).
#pragma once

#include <cstdint>

#include "plan/plan.h"
#include "plan/problem.h"

namespace saturn {

struct PlanOptions {
  double time_limit = 10;        // wall seconds in all
  int64_t work_limit = 0;        // > 0: effort instead of time: CBC's branch-and-bound nodes in all
                                 // (shared by its stages as the time would be) and the heuristic's
                                 // full count of moves; time_limit is then not used, and the plan
                                 // depends on the problem alone (any machine, any load)
  int64_t threads = 1;           // threads allowed; CBC searches on one (its parallel mode
                                 // planned worse in the same time: bench-plan-paper.sh), and
                                 // the milp line says so when more are allowed
  double gap = 1e-3;             // stop when the plan is this close to the bound
  double heuristic_share = 0.2;  // of the time limit for the heuristic's local search
  bool milp = true;              // false: heuristic and bounds only
};

Plan solve_plan(const PlanProblem& p, const PlanOptions& o = {});

}  // namespace saturn
