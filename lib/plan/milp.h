// The SPASE mixed-integer program, time-indexed, solved by CBC.
//
// Why this model. The reference system's big-M disjunctive model (a start
// time per job per GPU and a before/after binary per job pair per GPU) has an
// LP bound near zero and grows as GPUs x jobs^2; CBC finds no plan for 12 jobs
// on 8 GPUs in a minute. Here time is cut into S slots of length D over the
// horizon H (the heuristic's makespan) and x[o,t] = 1 when option o starts in
// slot t. Rows: every job is covered once; per node and slot, the devices of
// the options running then (plus running jobs) fit the node; per job,
// C >= start + duration; per node, device-seconds <= devices x C. Devices of
// a node are interchangeable, so a cumulative schedule is all a node needs:
// the device ids come after (Timeline), and no pair of jobs needs a binary.
//
// Durations are rounded DOWN to slots for the capacity rows while C uses the
// exact durations. Any real plan with makespan <= H maps onto this model
// (start slot = floor(start / D)): jobs counted in one slot all run just
// before the slot's end. So the model is a relaxation and CBC's bound is a
// lower bound on every real plan; its solution is made real by compaction:
// its options, placed in slot order at their earliest start with backfilling.
// The heuristic plan, mapped to slots, is CBC's first solution.
//
// With exact_ends, each start that could end the plan past C's lower bound
// also gets C >= its slot's time + the real duration (per copy of a class):
// the end that whole slots round away; still a relaxation of every plan.
#pragma once

#include <cstdint>
#include <string>

#include "plan/plan.h"
#include "plan/problem.h"

namespace saturn {

struct MilpOptions {
  double time_limit = 10;        // wall seconds for CBC
  int64_t max_nodes = -1;        // >= 0: branch-and-bound nodes at most (a work limit; with a
                                 // time_limit far off, the result depends on the model alone)
  double gap = 1e-3;             // CBC stops when its incumbent is this close to its bound
  double lower_bound = 0;        // a known lower bound (tightens C)
  bool exact_ends = false;       // add C >= start slot's time + duration per start that can bind
                                 // (a tighter bound; a larger model)
  bool makespan_first = false;   // CBC branches on the slots in use before the starts
  int64_t max_slots = 200;       // most slots over the horizon
  int64_t min_slots = 12;        // fewer than this: the model is too coarse to help; skipped
  int64_t max_nonzeros = 300000;   // model size caps: node LPs stay fast (CBC checks its
  int64_t max_columns = 15000;     // clock only between them)
};

struct MilpResult {
  bool ran = false;              // false: skipped (too large, nothing to plan), see `skipped`
  std::string skipped;
  Plan plan;                     // compacted plan (valid when ran and has_plan)
  bool has_plan = false;
  double bound = 0;              // CBC's proven bound on the real makespan (0 if none)
  bool proven = false;           // CBC proved its incumbent optimal for the model
  std::string stop;              // "optimal", "gap", "time limit", "node limit", "stopped"
  int64_t slots = 0, columns = 0, rows = 0, nonzeros = 0;
  int64_t nodes = 0;             // branch-and-bound nodes CBC explored
};

// `warm` must be a valid plan for `p` (its makespan is the horizon).
MilpResult solve_milp(const PlanProblem& p, const Plan& warm, const MilpOptions& o);

// The slots solve_milp would cut the horizon into (the most within the size
// caps and o.max_slots); 0 when it would skip the model. Cheap: no solve.
int64_t milp_slots(const PlanProblem& p, const Plan& warm, const MilpOptions& o);

}  // namespace saturn
