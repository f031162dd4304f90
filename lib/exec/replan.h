// Introspection's decision, as a pure function: given the problem, the
// current plan and where every job stands now, is there a plan that ends at
// least `threshold` seconds sooner, and which running jobs must move for it?
//
// The unfinished jobs become their own problem: each option's duration is
// scaled to what is left of its job and by its shape's measured/planned
// step-time factor; running jobs are pinned on their devices with their
// measured remaining time. The current plan is re-timed the same way under
// the dispatch rule (dispatch.h). A first solve keeps every running job where
// it is; a second lets running jobs move at `restart_cost` each, and those
// that would move are freed in a third solve with the others pinned, which
// wins only by the threshold. Deterministic up to the solver's time limit.
#pragma once

#include <cstdint>
#include <vector>

#include "plan/plan.h"
#include "plan/problem.h"
#include "plan/solve.h"

namespace saturn {

struct JobNow {
  bool finished = false;
  bool running = false;
  size_t option = 0;                 // running: its option in the problem
  std::vector<int64_t> device_ids;   // running: the devices it holds
  double left = 1;                   // fraction of its steps still to train, 0..1
  double remaining_s = -1;           // running: measured seconds left (-1 unknown)
  double factor = 1;                 // measured / planned step time (1 = unknown)
};

struct ReplanOptions {
  double threshold = 0;              // seconds a new plan must gain
  double restart_cost = 3;           // seconds a moved job loses
  PlanOptions plan;                  // for each solve
};

struct Replan {
  bool adopt = false;                // the new plan gains at least the threshold
  Plan plan;                         // adopt: over the problem's options, unfinished jobs only
  std::vector<size_t> moved;         // adopt: running jobs to checkpoint, stop and relaunch
  double current = 0;                // the current plan re-timed, seconds from now
  double proposed = 0;               // the best new plan's makespan, seconds from now
};

// The unfinished jobs as their own problem: the options whose jobs are all
// unfinished, each lasting what is left of its slowest job (left x factor).
// `option_in_p` maps its options back to p's, `job_in_p` its jobs.
struct RemainingProblem {
  PlanProblem problem;
  std::vector<size_t> option_in_p, job_in_p;
};
RemainingProblem remaining_problem(const PlanProblem& p, const std::vector<JobNow>& now);
// The plan for what is left of p (nothing running): solved on the remaining
// problem, then over p's options. Empty when every job is finished.
Plan plan_remaining(const PlanProblem& p, const std::vector<JobNow>& now, const PlanOptions& o);

// The plan for what is left with the running jobs pinned where they are,
// for their remaining seconds (early stopping's re-plan after a rung
// decision: nothing moves mid-segment). Empty when every job is finished.
Plan plan_around_running(const PlanProblem& p, const std::vector<JobNow>& now, const PlanOptions& o);

// `now` is parallel to p.jobs; the problem's options cover one job each.
Replan replan(const PlanProblem& p, const Plan& current, const std::vector<JobNow>& now, const ReplanOptions& o);

}  // namespace saturn
