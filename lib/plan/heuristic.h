// The heuristic planner: a valid plan in milliseconds, handed to CBC as its
// first solution and kept when CBC finds nothing better.
//
// Allocation sweep (after Turek et al.'s scheme for moldable jobs): for each
// target duration C among the strategies' durations, every unit takes its
// cheapest strategy (fewest device-seconds) that lasts at most C; each such
// allocation is list-scheduled in three orders (longest, largest, widest
// first) with backfilling, on the node where each unit ends earliest. The
// best is then improved by local search: a unit that ends at the makespan
// tries its other strategies, and a change is kept when the makespan drops.
// Last, simulated annealing over strategies and order (see heuristic.cpp).
// Units are jobs, or fused groups where fusing saves device-seconds.
// Deterministic: a fixed seed and an iteration budget; the time limit only
// cuts the search short on a slow machine or a huge problem.
#pragma once

#include <cstdint>

#include "plan/plan.h"
#include "plan/problem.h"

namespace saturn {

struct HeuristicOptions {
  double time_limit = 1.0;     // seconds for the whole search (sweep always completes)
  size_t max_targets = 48;     // target durations tried by the sweep (evenly spaced over all)
  int64_t iterations = 20000;  // most moves of the simulated annealing (0 = none)
  double moves_per_second = 3e5;  // budget: moves x units per second of time_limit
  uint64_t seed = 1;           // its random moves
};

// `p` must validate. method = "heuristic: <allocation>, <order>"; bound 0.
Plan heuristic_plan(const PlanProblem& p, const HeuristicOptions& o = {});

}  // namespace saturn
