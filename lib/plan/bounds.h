// Lower bounds on the makespan of any plan for a problem, each provable:
//
// - area: every job needs at least its cheapest device-seconds (a fused
//   option's shared by its jobs), running jobs their remaining ones; all of
//   it fits on the cluster's devices at best.
// - longest: the shortest way to run the job that takes longest, and the
//   longest remaining running job.
// - lp: the configuration LP (solved by Clp): fractional choice y of options
//   covering each job once, with per node device-seconds <= devices x C and,
//   per job, the y-weighted duration <= C; min C. It sees that cheap
//   strategies are long and fast ones expensive, which the two above do not.
// CBC's bound from the time-indexed model (milp.h) is added by the solver.
// Pure functions; the LP throws saturn::Error (Internal) if Clp fails.
#pragma once

#include "plan/problem.h"

namespace saturn {

struct Bounds {
  double area = 0, longest = 0, lp = 0;
  double best() const;
};

Bounds lower_bounds(const PlanProblem& p);

}  // namespace saturn
