// Plan: what the planner decides, as plain data. One Assignment per chosen
// option: its node, concrete device ids and start/end seconds from now.
// Pinned options appear with start 0 and end = remaining. The numbers that
// say how good it is (makespan, lower bound, gap) and how it was found travel
// with it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan/problem.h"

namespace saturn {

struct Assignment {
  size_t option = 0;                 // index into PlanProblem::options
  std::vector<int64_t> device_ids;   // ascending, on the option's node
  double start = 0, end = 0;         // seconds from the plan's time zero
  bool pinned = false;               // already running
};

struct Plan {
  std::vector<Assignment> items;     // in start order, then node, then first device
  double makespan = 0;               // max end (0 for no items)
  double bound = 0;                  // proven lower bound on any plan's makespan
  std::string method;                // what produced it: "milp", "heuristic: ...", "baseline: ..."
  std::string stop;                  // why the solver stopped: "optimal", "gap", "time limit", ...
  double solve_s = 0;                // wall seconds spent
  std::string milp;                  // the CBC run: model size and outcome ("" = not run), for logs
  double gap() const;                // (makespan - bound) / makespan, 0 when makespan is 0
};

// Sorts items (start, node, first device) and sets makespan.
void finish_plan(Plan& plan, const PlanProblem& p);
// The jobs a plan runs: a fused group counts each of its jobs.
size_t planned_jobs(const Plan& plan, const PlanProblem& p);

}  // namespace saturn
