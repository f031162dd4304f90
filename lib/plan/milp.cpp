#include "plan/milp.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <CbcModel.hpp>
#include <CbcHeuristic.hpp>
#include <CbcHeuristicFPump.hpp>
#include <CbcHeuristicLocal.hpp>
#include <CbcHeuristicRINS.hpp>
#include <CglClique.hpp>
#include <CglFlowCover.hpp>
#include <CglGomory.hpp>
#include <CglKnapsackCover.hpp>
#include <CglMixedIntegerRounding2.hpp>
#include <CglProbing.hpp>
#include <CoinPackedMatrix.hpp>
#include <ClpSolve.hpp>
#include <OsiClpSolverInterface.hpp>
#include <limits>
#include <map>
#include <numeric>

#include "core/error.h"
#include "plan/timeline.h"

namespace saturn {

namespace {

using Clock = std::chrono::steady_clock;

// What the model schedules: an option pattern of a class of interchangeable
// jobs (identical options up to the job), run by up to `bound` of them, or
// a fused option (one job set, bound 1).
struct ModelOption {
  size_t rep = 0;                             // an option with its technique, devices, node, duration
  std::vector<size_t> classes;                // classes it covers (one each)
  int64_t bound = 1;                          // most copies at one start slot
  std::vector<size_t> members;                // class pattern: the option per member job
};

struct Classes {
  std::vector<std::vector<size_t>> jobs;      // per class: its jobs
  std::vector<ModelOption> options;
  std::map<size_t, std::pair<size_t, size_t>> of_option;  // problem option -> (model option, member)
};

// Free jobs grouped into classes of interchangeable jobs: same techniques,
// devices, nodes and durations. A job that a fused option covers is a class
// of its own (fused options name their jobs).
Classes make_classes(const PlanProblem& p, const std::vector<size_t>& free) {
  using Sig = std::vector<std::tuple<int64_t, size_t, double, std::string>>;
  std::map<size_t, std::vector<size_t>> single;  // job -> its single-job options
  std::vector<bool> fused_job(p.jobs.size(), false);
  for (size_t o : free) {
    const auto& opt = p.options[o];
    if (opt.jobs.size() == 1) single[opt.jobs[0]].push_back(o);
    else
      for (size_t j : opt.jobs) fused_job[j] = true;
  }
  std::vector<bool> is_free_job(p.jobs.size(), false);
  for (size_t o : free)
    for (size_t j : p.options[o].jobs) is_free_job[j] = true;
  Classes c;
  std::map<std::pair<Sig, int64_t>, size_t> by_sig;
  std::vector<size_t> class_of(p.jobs.size(), SIZE_MAX);
  std::vector<size_t> first_pattern;  // per class: its first model option
  for (size_t j = 0; j < p.jobs.size(); ++j) {
    if (!is_free_job[j]) continue;
    auto& opts = single[j];
    std::sort(opts.begin(), opts.end(), [&](size_t a, size_t b) {
      const auto& x = p.options[a];
      const auto& y = p.options[b];
      return std::tie(x.devices, x.node, x.duration, x.technique) < std::tie(y.devices, y.node, y.duration, y.technique);
    });
    Sig sig;
    for (size_t o : opts) sig.emplace_back(p.options[o].devices, p.options[o].node, p.options[o].duration, p.options[o].technique);
    auto key = std::make_pair(sig, fused_job[j] ? static_cast<int64_t>(j) : -1);
    auto [it, fresh] = by_sig.emplace(key, c.jobs.size());
    const size_t cls = it->second;
    if (fresh) {
      c.jobs.push_back({});
      first_pattern.push_back(c.options.size());
      for (size_t o : opts) {
        ModelOption m;
        m.rep = o;
        m.classes = {cls};
        c.options.push_back(m);
      }
    }
    class_of[j] = cls;
    const size_t member = c.jobs[cls].size();
    c.jobs[cls].push_back(j);
    // Pattern k of the class is option k of each member (same sort order).
    for (size_t k = 0; k < opts.size(); ++k) {
      size_t m = first_pattern[cls] + k;
      c.options[m].members.push_back(opts[k]);
      c.of_option[opts[k]] = {m, member};
    }
  }
  for (auto& m : c.options) m.bound = static_cast<int64_t>(m.members.size());
  for (size_t o : free) {
    const auto& opt = p.options[o];
    if (opt.jobs.size() < 2) continue;
    ModelOption m;
    m.rep = o;
    for (size_t j : opt.jobs) m.classes.push_back(class_of[j]);
    m.bound = 1;
    m.members = {o};
    c.of_option[o] = {c.options.size(), 0};
    c.options.push_back(m);
  }
  return c;
}

// The model's shape for one slot count.
struct Layout {
  int64_t slots = 0;
  double slot = 0;                      // seconds per slot
  std::vector<size_t> options;          // model options in the model (duration <= horizon)
  std::vector<int64_t> last_start;      // per model option: last start slot
  std::vector<int64_t> footprint;       // per model option: slots held (floor)
  int64_t columns = 0, nonzeros = 0;
};

// Whole slots in `seconds`; a hair (1e-9 slot) of float error is forgiven so
// that exact multiples stay exact.
int64_t floor_slots(double seconds, double slot) {
  return static_cast<int64_t>(std::floor(seconds / slot + 1e-9));
}

Layout layout(const PlanProblem& p, const Classes& c, double horizon, int64_t slots) {
  Layout l;
  l.slots = slots;
  l.slot = horizon / static_cast<double>(slots);
  for (size_t m = 0; m < c.options.size(); ++m) {
    const auto& opt = p.options[c.options[m].rep];
    if (opt.duration > horizon * (1 + 1e-12)) continue;  // no plan better than the horizon uses it
    int64_t last = std::max<int64_t>(0, std::min(slots - 1, floor_slots(horizon - opt.duration, l.slot)));
    int64_t hold = floor_slots(opt.duration, l.slot);
    l.options.push_back(m);
    l.last_start.push_back(last);
    l.footprint.push_back(hold);
    l.columns += last + 1;
    l.nonzeros += (last + 1) * (hold + static_cast<int64_t>(c.options[m].classes.size()) + 1);
  }
  l.columns += slots + 1;
  l.nonzeros += 3 * slots + static_cast<int64_t>(p.nodes.size() * slots);
  return l;
}

// The largest unit every free duration and remaining time is a whole
// multiple of (durations within 1e-9 of integers only), else 0.
double common_unit(const PlanProblem& p, const std::vector<size_t>& free) {
  int64_t g = 0;
  auto add = [&](double x) {
    double r = std::round(x);
    if (std::abs(x - r) > 1e-9 * std::max(1.0, x) || r < 1 || r > 1e12) return false;
    g = std::gcd(g, static_cast<int64_t>(r));
    return true;
  };
  for (size_t o : free)
    if (!add(p.options[o].duration)) return 0;
  for (const auto& pin : p.pinned)
    if (pin.remaining > 0 && !add(pin.remaining)) return 0;
  return static_cast<double>(g);
}

// Options placed in this order at their earliest start (backfilling).
Plan compact(const PlanProblem& p, const std::vector<std::pair<double, size_t>>& starts, int rule) {
  auto order = starts;
  std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    const auto& x = p.options[a.second];
    const auto& y = p.options[b.second];
    if (rule == 0) return x.duration > y.duration;
    return x.devices > y.devices;
  });
  Timeline t(p);
  for (const auto& [start, o] : order) t.place(o, rule == 2 ? start : 0.0);
  return t.plan();
}

}  // namespace

static MilpResult solve_milp_unguarded(const PlanProblem& p, const Plan& warm, const MilpOptions& mo) {
  auto t0 = Clock::now();
  MilpResult r;
  const double horizon = warm.makespan;
  const std::vector<size_t> free = p.free_options();
  if (free.empty() || !(horizon > 0)) {
    r.skipped = "nothing to plan";
    return r;
  }
  const Classes cl = make_classes(p, free);
  // The most slots within the size caps.
  int64_t lo = mo.min_slots, hi = mo.max_slots;
  auto fits = [&](const Layout& x) { return x.nonzeros <= mo.max_nonzeros && x.columns <= mo.max_columns; };
  if (!fits(layout(p, cl, horizon, lo))) {
    auto small = layout(p, cl, horizon, lo);
    r.skipped = "the time-indexed model is too large (" + std::to_string(small.columns) + " columns at " +
                std::to_string(lo) + " slots)";
    return r;
  }
  while (lo < hi) {
    int64_t mid = (lo + hi + 1) / 2;
    if (fits(layout(p, cl, horizon, mid))) lo = mid; else hi = mid - 1;
  }
  // Durations that are all whole multiples of one unit: slots of that unit
  // make the model exact (nothing is rounded) when it fits.
  if (double unit = common_unit(p, free); unit > 0) {
    double exact = horizon / unit;
    auto n = static_cast<int64_t>(std::llround(exact));
    if (std::abs(exact - static_cast<double>(n)) < 1e-6 && n >= 1 && n <= 8 * mo.max_slots &&
        fits(layout(p, cl, horizon, n)))
      lo = n;
  }
  const Layout l = layout(p, cl, horizon, lo);
  const int64_t S = l.slots;
  r.slots = S;

  // Rows: count per class, capacity per node x slot, area per node, e
  // monotone (S - 1), makespan (1).
  const int classes = static_cast<int>(cl.jobs.size());
  const int cap0 = classes;
  const int area0 = cap0 + static_cast<int>(p.nodes.size() * S);
  const int mono0 = area0 + static_cast<int>(p.nodes.size());
  const int span_row = mono0 + static_cast<int>(S - 1);
  const int rows = span_row + 1;
  std::vector<double> row_lo(rows, -COIN_DBL_MAX), row_hi(rows, 0.0);
  for (int c = 0; c < classes; ++c) row_lo[c] = row_hi[c] = static_cast<double>(cl.jobs[c].size());
  std::vector<double> pinned_area(p.nodes.size(), 0.0);
  std::vector<std::vector<int64_t>> pinned_use(p.nodes.size(), std::vector<int64_t>(static_cast<size_t>(S), 0));
  double c_min = mo.lower_bound;
  for (const auto& pin : p.pinned) {
    const auto& opt = p.options[pin.option];
    int64_t held = std::min(S, floor_slots(pin.remaining, l.slot));
    for (int64_t t = 0; t < held; ++t) pinned_use[opt.node][t] += opt.devices;
    pinned_area[opt.node] += pin.remaining * static_cast<double>(opt.devices);
    c_min = std::max(c_min, pin.remaining);
  }
  for (size_t n = 0; n < p.nodes.size(); ++n) {
    for (int64_t t = 0; t < S; ++t) row_hi[cap0 + n * S + t] = -static_cast<double>(pinned_use[n][t]);
    row_hi[area0 + n] = -pinned_area[n];
  }

  // Columns, column-ordered, built in one go.
  std::vector<CoinBigIndex> starts{0};
  std::vector<int> all_idx;
  std::vector<double> all_val;
  std::vector<double> col_lo, col_hi, obj;
  std::vector<bool> integer;
  auto append_col = [&](const std::vector<int>& i, const std::vector<double>& v, double lo_, double hi_, double cost,
                        bool is_int) {
    all_idx.insert(all_idx.end(), i.begin(), i.end());
    all_val.insert(all_val.end(), v.begin(), v.end());
    starts.push_back(static_cast<CoinBigIndex>(all_idx.size()));
    col_lo.push_back(lo_);
    col_hi.push_back(hi_);
    obj.push_back(cost);
    integer.push_back(is_int);
  };
  std::vector<int> idx;
  std::vector<double> val;
  std::vector<std::pair<size_t, int64_t>> col_of;  // (index into l.options, slot)
  for (size_t k = 0; k < l.options.size(); ++k) {
    const auto& m = cl.options[l.options[k]];
    const auto& opt = p.options[m.rep];
    for (int64_t t = 0; t <= l.last_start[k]; ++t) {
      idx.clear();
      val.clear();
      for (size_t c : m.classes) {
        idx.push_back(static_cast<int>(c));
        val.push_back(1.0);
      }
      for (int64_t u = t; u < std::min(S, t + l.footprint[k]); ++u) {
        idx.push_back(cap0 + static_cast<int>(opt.node * S + u));
        val.push_back(static_cast<double>(opt.devices));
      }
      idx.push_back(area0 + static_cast<int>(opt.node));
      val.push_back(static_cast<double>(opt.devices) * opt.duration);
      append_col(idx, val, 0, static_cast<double>(m.bound), 0, true);
      col_of.push_back({k, t});
    }
  }
  // e_s: the plan still runs in slot s.
  const int e0 = static_cast<int>(col_of.size());
  for (int64_t u = 0; u < S; ++u) {
    idx.clear();
    val.clear();
    for (size_t n = 0; n < p.nodes.size(); ++n) {
      idx.push_back(cap0 + static_cast<int>(n * S + u));
      val.push_back(-static_cast<double>(p.nodes[n].devices));
    }
    if (u >= 1) { idx.push_back(mono0 + static_cast<int>(u - 1)); val.push_back(1.0); }     // e_u - e_{u-1} <= 0
    if (u + 1 < S) { idx.push_back(mono0 + static_cast<int>(u)); val.push_back(-1.0); }
    idx.push_back(span_row);
    val.push_back(l.slot);
    append_col(idx, val, 0, 1, 0, true);
  }
  // C.
  idx.clear();
  val.clear();
  for (size_t n = 0; n < p.nodes.size(); ++n) {
    idx.push_back(area0 + static_cast<int>(n));
    val.push_back(-static_cast<double>(p.nodes[n].devices));
  }
  idx.push_back(span_row);
  val.push_back(-1.0);
  const int c_col = static_cast<int>(col_lo.size());
  append_col(idx, val, std::min(c_min, horizon), horizon, 1.0, false);
  const int ncols = c_col + 1;
  r.columns = ncols;
  r.rows = rows;
  r.nonzeros = static_cast<int64_t>(all_idx.size());
  std::vector<int> lengths;
  for (size_t c = 0; c + 1 < starts.size(); ++c) lengths.push_back(static_cast<int>(starts[c + 1] - starts[c]));
  CoinPackedMatrix matrix(true, rows, ncols, static_cast<CoinBigIndex>(all_idx.size()), all_val.data(), all_idx.data(),
                          starts.data(), lengths.data());

  OsiClpSolverInterface solver;
  solver.messageHandler()->setLogLevel(0);
  // Dual simplex for the root LP: Clp's automatic choice may run its "idiot"
  // crash, whose crossover crashes in Clp 1.17 on these models.
  ClpSolve lp_options;
  lp_options.setSolveType(ClpSolve::useDual);
  lp_options.setPresolveType(ClpSolve::presolveOn);
  solver.setSolveOptions(lp_options);
  solver.loadProblem(matrix, col_lo.data(), col_hi.data(), obj.data(), row_lo.data(), row_hi.data());
  for (int c = 0; c < ncols; ++c)
    if (integer[c]) solver.setInteger(c);

  // First solution: the warm plan in slots.
  std::map<size_t, size_t> layout_index;  // model option -> index into l.options
  for (size_t k = 0; k < l.options.size(); ++k) layout_index[l.options[k]] = k;
  std::vector<int64_t> first_col(l.options.size(), 0);
  for (size_t c = 0, k = SIZE_MAX; c < col_of.size(); ++c)
    if (col_of[c].first != k) { k = col_of[c].first; first_col[k] = static_cast<int64_t>(c); }
  std::vector<double> first(static_cast<size_t>(ncols), 0.0);
  bool warm_ok = true;
  int64_t used = 0;
  std::vector<double> area(p.nodes.size(), 0.0);
  for (const auto& a : warm.items) {
    if (a.pinned) continue;
    auto m = cl.of_option.find(a.option);
    if (m == cl.of_option.end() || !layout_index.count(m->second.first)) { warm_ok = false; break; }
    size_t k = layout_index[m->second.first];
    int64_t t = std::min(l.last_start[k], floor_slots(a.start, l.slot));
    first[static_cast<size_t>(first_col[k] + t)] += 1.0;
    used = std::max(used, std::min(S, t + l.footprint[k]));
    const auto& opt = p.options[a.option];
    area[opt.node] += static_cast<double>(opt.devices) * opt.duration;
  }
  for (size_t n = 0; n < p.nodes.size(); ++n) {
    for (int64_t t = 0; t < S; ++t)
      if (pinned_use[n][t] > 0) used = std::max(used, t + 1);
  }
  double warm_c = std::max(col_lo[c_col], l.slot * static_cast<double>(used));
  for (size_t n = 0; n < p.nodes.size(); ++n)
    warm_c = std::max(warm_c, (area[n] + pinned_area[n]) / static_cast<double>(p.nodes[n].devices));
  for (int64_t u = 0; u < used; ++u) first[static_cast<size_t>(e0 + u)] = 1.0;
  first[c_col] = std::min(horizon, warm_c);

  CbcModel model(solver);
  model.setLogLevel(0);
  model.messageHandler()->setLogLevel(0);
  model.solver()->messageHandler()->setLogLevel(0);
  model.setUseElapsedTime(true);
  model.setAllowableFractionGap(mo.gap);
  model.setAllowableGap(1e-9 * horizon);
  if (mo.threads > 1) {
    model.setNumberThreads(static_cast<int>(mo.threads));
    model.setThreadMode(1);  // deterministic
  }
  // Strong branching re-solves the LP per candidate and is not under CBC's
  // clock; on large models it can run a minute past the limit.
  if (r.columns > 10000) {
    model.solver()->setIntParam(OsiMaxNumIterationHotStart, 20);
    model.setNumberStrong(0);
    model.setNumberBeforeTrust(0);
  }
  CglProbing probing;
  probing.setUsingObjective(true);
  probing.setMaxPass(1);
  probing.setMaxPassRoot(3);
  probing.setMaxProbe(10);
  probing.setMaxLook(50);
  probing.setRowCuts(3);
  CglGomory gomory;
  gomory.setLimit(300);
  CglKnapsackCover knapsack;
  CglClique clique;
  clique.setStarCliqueReport(false);
  clique.setRowCliqueReport(false);
  CglMixedIntegerRounding2 mir;
  CglFlowCover flow;
  model.addCutGenerator(&probing, -1, "Probing");
  model.addCutGenerator(&gomory, -1, "Gomory");
  model.addCutGenerator(&knapsack, -1, "Knapsack");
  model.addCutGenerator(&clique, -1, "Clique");
  model.addCutGenerator(&mir, -1, "MixedIntegerRounding2");
  model.addCutGenerator(&flow, -1, "FlowCover");
  CbcRounding rounding(model);
  model.addHeuristic(&rounding);
  CbcHeuristicLocal local(model);
  model.addHeuristic(&local);
  CbcHeuristicFPump pump(model);
  model.addHeuristic(&pump);
  CbcHeuristicRINS rins(model);
  model.addHeuristic(&rins);
  double left = mo.time_limit - std::chrono::duration<double>(Clock::now() - t0).count();
  model.setMaximumSeconds(std::max(0.05, left));
  // The root LP is not under CBC's clock: max_nonzeros keeps it to about a
  // second on one core.
  model.initialSolve();
  if (!model.solver()->isProvenOptimal()) {
    r.skipped = "the root LP did not solve (" + std::to_string(r.columns) + " columns, " +
                std::to_string(r.nonzeros) + " nonzeros)";
    return r;
  }
  // The first solution after the root LP: set before, its cutoff can stop
  // the LP early and leave it unsolved.
  if (warm_ok) model.setBestSolution(first.data(), ncols, first[c_col], true);
  model.branchAndBound();
  r.ran = true;

  double best_possible = model.getBestPossibleObjValue();
  if (std::isfinite(best_possible) && best_possible < 1e50) r.bound = std::max(0.0, best_possible * (1 - 1e-9));
  const double* sol = model.bestSolution();
  double obj_value = model.getObjValue();
  if (model.isProvenOptimal() && sol && obj_value <= best_possible + 1e-6 * std::max(1.0, obj_value)) {
    r.stop = "optimal";
  } else if (model.isProvenOptimal()) {
    r.stop = "gap";
  } else if (model.isSecondsLimitReached()) {
    r.stop = "time limit";
  } else {
    r.stop = "stopped";
  }
  if (model.isProvenOptimal() && sol) r.proven = true;
  if (sol) {
    // Copies of a class pattern go to the class's jobs in order.
    std::vector<size_t> next_member(cl.jobs.size(), 0);
    std::vector<std::pair<double, size_t>> chosen;
    for (size_t c = 0; c < col_of.size(); ++c) {
      auto copies = static_cast<int64_t>(std::llround(sol[c]));
      const auto& m = cl.options[l.options[col_of[c].first]];
      for (int64_t k = 0; k < copies; ++k) {
        size_t o = m.rep;
        if (p.options[m.rep].jobs.size() == 1) {
          size_t cls = m.classes[0];
          size_t member = next_member[cls]++;
          if (member >= m.members.size()) throw internal_error("planner: CBC started a class more times than it has jobs");
          o = m.members[member];
        }
        chosen.push_back({static_cast<double>(col_of[c].second) * l.slot, o});
      }
    }
    Plan best;
    best.makespan = std::numeric_limits<double>::infinity();
    for (int rule = 0; rule < 3; ++rule) {
      Plan plan = compact(p, chosen, rule);
      if (plan.makespan < best.makespan) best = std::move(plan);
    }
    r.plan = std::move(best);
    r.has_plan = true;
  }
  return r;
}

MilpResult solve_milp(const PlanProblem& p, const Plan& warm, const MilpOptions& mo) {
  try {
    return solve_milp_unguarded(p, warm, mo);
  } catch (const CoinError& e) {
    throw internal_error("planner: CBC failed in " + e.className() + "::" + e.methodName() + ": " + e.message());
  }
}

}  // namespace saturn
