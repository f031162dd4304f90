#include "plan/solve.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "core/error.h"
#include "plan/baselines.h"
#include "plan/bounds.h"
#include "plan/check.h"
#include "plan/heuristic.h"
#include "plan/milp.h"

namespace saturn {

namespace {
using Clock = std::chrono::steady_clock;

// CBC on the time-indexed model at rising resolutions. A coarse model (25
// slots) is small: CBC often closes it in a fraction of a second, and its
// bound is proven for every real plan (milp.h: durations rounded down), so
// most of the bound comes early. Each finer model starts from the best plan
// so far (a shorter horizon: a smaller, tighter model) and the best bound,
// and gets the time the coarser ones left. A problem whose finest model is
// itself coarse (size caps) is solved once, with all the time.
template <class Elapsed>
void solve_in_stages(const PlanProblem& p, const PlanOptions& po, Elapsed elapsed, Plan& best, double& bound,
                     std::string& stop, std::string& milp) {
  auto closed = [&] { return best.makespan <= 0 || best.makespan - bound <= po.gap * best.makespan; };
  MilpOptions mo;
  mo.gap = po.gap;
  // Measured on bench-plan-paper.sh at 10 s: exact-end rows close one
  // node's models sooner (txt24 on 1x8: 3.1% -> 0.9%), but on several nodes
  // their larger LPs slow the search more than they tighten it (2x8 plans
  // up to 7% longer); there, branching on the makespan first closes the
  // coarse models sooner (img24 on 2x8: 2.7% -> 0.7%), which on one node
  // costs more than it gains.
  mo.exact_ends = p.nodes.size() == 1;
  mo.makespan_first = p.nodes.size() > 1;
  // CBC overshoots its limit by its root work; keep a margin for it. Under
  // a work limit the stages share nodes the way they would share time.
  const bool work = po.work_limit > 0;
  constexpr double kNoClock = 1e9;
  const double milp_time = work ? kNoClock : std::max(0.05, 0.85 * (po.time_limit - elapsed()));
  int64_t nodes_used = 0;
  const double start = elapsed();
  const int64_t finest = milp_slots(p, best, mo);
  struct Stage {
    int64_t slots;
    double share;  // of the MILP time, at most (what a stage leaves goes to the next)
  };
  std::vector<Stage> stages;
  for (Stage s : {Stage{25, 0.12}, Stage{50, 0.18}, Stage{100, 0.25}})
    if (s.slots * 3 / 2 <= finest) stages.push_back(s);
  stages.push_back({mo.max_slots, 1.0});
  std::vector<std::string> coarse;
  double budget = 0;
  double node_budget = 0;
  for (size_t k = 0; k < stages.size(); ++k) {
    const double left = milp_time - (elapsed() - start);
    if (!work && left < 0.05 && k > 0) break;
    if (work && nodes_used >= po.work_limit && k > 0) break;
    budget += stages[k].share * milp_time;
    node_budget += stages[k].share * static_cast<double>(po.work_limit);
    mo.max_slots = stages[k].slots;
    mo.time_limit = work ? kNoClock : std::max(0.05, std::min(left, budget - (elapsed() - start)));
    mo.max_nodes =
        work ? std::max<int64_t>(0, std::min(static_cast<int64_t>(node_budget), po.work_limit) - nodes_used) : -1;
    mo.lower_bound = bound;
    const double stage_start = elapsed();
    MilpResult r = solve_milp(p, best, mo);
    nodes_used += r.nodes;
    char took[96];
    if (work)
      std::snprintf(took, sizeof took, " (%.1f s, %lld of %lld nodes", elapsed() - stage_start,
                    static_cast<long long>(r.nodes), static_cast<long long>(mo.max_nodes));
    else
      std::snprintf(took, sizeof took, " (%.1f s of %.1f, %lld nodes", elapsed() - stage_start, mo.time_limit,
                    static_cast<long long>(r.nodes));
    milp = r.ran ? std::to_string(r.slots) + " slots, " + std::to_string(r.columns) + " columns, " +
                       std::to_string(r.rows) + " rows, " + std::to_string(r.nonzeros) + " nonzeros; CBC stopped: " + r.stop +
                       took + ")"
                 : "not run: " + r.skipped;
    if (!r.ran) {
      if (coarse.empty()) stop = "heuristic only: " + r.skipped;
      break;
    }
    bound = std::max(bound, std::min(r.bound, best.makespan));
    if (r.has_plan && r.plan.makespan < best.makespan - 1e-9) {
      best = std::move(r.plan);
      best.method = "milp (" + std::to_string(r.slots) + " slots), compacted";
    }
    if (closed())
      stop = best.makespan <= bound * (1 + 1e-9) ? "optimal" : "gap";
    else
      stop = r.stop == "optimal" || r.stop == "gap" ? "slot resolution (" + std::to_string(r.slots) + " slots)" : r.stop;
    if (closed()) break;
    if (k + 1 < stages.size()) coarse.push_back(std::to_string(r.slots) + " (" + r.stop + ", " + (took + 2) + ")");
  }
  if (!coarse.empty()) {
    std::string list;
    for (const auto& c : coarse) list += (list.empty() ? "" : ", ") + c;
    milp = "first at " + list + " slots, then " + milp;
  }
}

}  // namespace

Plan solve_plan(const PlanProblem& original, const PlanOptions& po) {
  auto t0 = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  original.validate();
  std::vector<size_t> kept;
  PlanProblem p = prune_dominated(original, &kept);

  Bounds bounds = lower_bounds(p);
  double bound = bounds.best();

  HeuristicOptions ho;
  ho.time_limit = po.work_limit > 0 ? 1e9 : po.time_limit * po.heuristic_share;  // work: every move, no clock
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
    solve_in_stages(p, po, elapsed, best, bound, stop, milp);
  }
  bound = std::min(bound, best.makespan);

  // Back to the caller's option indexes.
  for (auto& a : best.items) a.option = kept[a.option];
  best.bound = bound;
  best.stop = stop;
  best.milp = milp;
  if (po.threads > 1 && !milp.empty())
    best.milp += "; one thread of the " + std::to_string(po.threads) +
                 " allowed (CBC's parallel search planned worse in the same time)";
  best.solve_s = elapsed();
  finish_plan(best, original);
  auto bad = check_plan(original, best);
  if (!bad.empty()) throw internal_error("planner: the plan fails its check: " + bad[0]);
  return best;
}

}  // namespace saturn
