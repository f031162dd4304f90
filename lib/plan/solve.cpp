#include "plan/solve.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "plan/baselines.h"
#include "plan/bounds.h"
#include "plan/check.h"
#include "plan/heuristic.h"
#include "plan/milp.h"

namespace saturn {

namespace {
using Clock = std::chrono::steady_clock;
}

Plan solve_plan(const PlanProblem& original, const PlanOptions& po) {
  auto t0 = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  original.validate();
  std::vector<size_t> kept;
  PlanProblem p = prune_dominated(original, &kept);

  Bounds bounds = lower_bounds(p);
  double bound = bounds.best();

  HeuristicOptions ho;
  ho.time_limit = po.time_limit * po.heuristic_share;
  Plan best = heuristic_plan(p, ho);
  // The baselines' allocations are candidates too: cheap, and a plan never
  // loses to what it is compared against.
  for (Baseline b : all_baselines()) {
    try {
      Plan other = baseline_plan(p, b);
      if (other.makespan < best.makespan - 1e-9) best = std::move(other);
    } catch (const Error&) {
      break;  // jobs only fused options cover: no baseline applies
    }
  }
  std::string stop = "heuristic";
  std::string milp;
  auto closed = [&] { return best.makespan <= 0 || best.makespan - bound <= po.gap * best.makespan; };

  if (closed()) {
    stop = "gap";
  } else if (!po.milp) {
    stop = "heuristic only";
  } else {
    MilpOptions mo;
    // CBC overshoots its limit by its root work; keep a margin for it.
    mo.time_limit = std::max(0.05, 0.85 * (po.time_limit - elapsed()));
    mo.threads = po.threads;
    mo.gap = po.gap;
    mo.lower_bound = bound;
    MilpResult r = solve_milp(p, best, mo);
    milp = r.ran ? std::to_string(r.slots) + " slots, " + std::to_string(r.columns) + " columns, " +
                       std::to_string(r.rows) + " rows, " + std::to_string(r.nonzeros) + " nonzeros; CBC stopped: " + r.stop
                 : "not run: " + r.skipped;
    if (!r.ran) {
      stop = "heuristic only: " + r.skipped;
    } else {
      bound = std::max(bound, std::min(r.bound, best.makespan));
      if (r.has_plan && r.plan.makespan < best.makespan - 1e-9) {
        best = std::move(r.plan);
        best.method = "milp (" + std::to_string(r.slots) + " slots), compacted";
      }
      if (closed())
        stop = best.makespan <= bound * (1 + 1e-9) ? "optimal" : "gap";
      else
        stop = r.stop == "optimal" || r.stop == "gap" ? "slot resolution (" + std::to_string(r.slots) + " slots)" : r.stop;
    }
  }
  bound = std::min(bound, best.makespan);

  // Back to the caller's option indexes.
  for (auto& a : best.items) a.option = kept[a.option];
  best.bound = bound;
  best.stop = stop;
  best.milp = milp;
  best.solve_s = elapsed();
  finish_plan(best, original);
  auto bad = check_plan(original, best);
  if (!bad.empty()) throw internal_error("planner: the plan fails its check: " + bad[0]);
  return best;
}

}  // namespace saturn
