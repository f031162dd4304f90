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
#include <memory>
#include <optional>
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

namespace {

// The most slots within the size caps (exact slots when every duration is a
// whole multiple of one unit and they fit); nullopt with `skipped` set when
// even the fewest do not fit.
std::optional<Layout> choose_layout(const PlanProblem& p, const Classes& cl, const std::vector<size_t>& free,
                                    double horizon, const MilpOptions& mo, std::string* skipped) {
  int64_t lo = mo.min_slots, hi = mo.max_slots;
  auto fits = [&](const Layout& x) { return x.nonzeros <= mo.max_nonzeros && x.columns <= mo.max_columns; };
  if (!fits(layout(p, cl, horizon, lo))) {
    auto small = layout(p, cl, horizon, lo);
    *skipped = "the time-indexed model is too large (" + std::to_string(small.columns) + " columns at " +
               std::to_string(lo) + " slots)";
    return std::nullopt;
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
  return layout(p, cl, horizon, lo);
}

// The time-indexed model, column-ordered. Rows: count per class, capacity
// per node x slot, area per node, e monotone (S - 1), makespan (1).
// Columns: x (model option, start slot) for every start that ends by the
// horizon; e_s (the plan still runs in slot s); C (the makespan).
struct Model {
  int64_t S = 0;
  int cap0 = 0, area0 = 0, mono0 = 0, span_row = 0, end0 = 0, rows = 0;
  std::vector<int64_t> first_end;                    // per layout option: first start slot with an end row
  std::vector<double> row_lo, row_hi;
  std::vector<double> pinned_area;                   // per node: device-seconds pinned jobs still hold
  std::vector<std::vector<int64_t>> pinned_use;      // per node, slot: devices pinned jobs hold
  double c_min = 0;                                  // C's lower bound
  std::vector<CoinBigIndex> starts{0};
  std::vector<int> idx;
  std::vector<double> val, col_lo, col_hi, obj;
  std::vector<bool> integer;
  std::vector<std::pair<size_t, int64_t>> col_of;    // x columns: (index into l.options, slot)
  int e0 = 0, c_col = 0, ncols = 0;

  void column(const std::vector<int>& i, const std::vector<double>& v, double lo, double hi, double cost, bool is_int) {
    idx.insert(idx.end(), i.begin(), i.end());
    val.insert(val.end(), v.begin(), v.end());
    starts.push_back(static_cast<CoinBigIndex>(idx.size()));
    col_lo.push_back(lo);
    col_hi.push_back(hi);
    obj.push_back(cost);
    integer.push_back(is_int);
  }
};

// Where the end rows go: per layout option, the first start slot whose
// exact end (start slot x slot + duration) is past `c_min` and past the end
// of its whole slots; the rows run from there to the last start.
std::vector<int64_t> end_row_starts(const PlanProblem& p, const Classes& cl, const Layout& l, double c_min) {
  std::vector<int64_t> first(l.options.size(), INT64_MAX);
  for (size_t k = 0; k < l.options.size(); ++k) {
    const double d = p.options[cl.options[l.options[k]].rep].duration;
    if (d - static_cast<double>(l.footprint[k]) * l.slot <= 1e-9 * l.slot) continue;  // whole slots: e sees the end
    int64_t t = std::max<int64_t>(0, static_cast<int64_t>(std::floor((c_min - d) / l.slot)));
    while (t <= l.last_start[k] && static_cast<double>(t) * l.slot + d <= c_min * (1 + 1e-12)) ++t;
    if (t <= l.last_start[k]) first[k] = t;
  }
  return first;
}

void add_rows(Model& m, const PlanProblem& p, const Classes& cl, const Layout& l, double lower_bound, bool exact_ends) {
  const int64_t S = m.S = l.slots;
  const int classes = static_cast<int>(cl.jobs.size());
  m.pinned_area.assign(p.nodes.size(), 0.0);
  m.pinned_use.assign(p.nodes.size(), std::vector<int64_t>(static_cast<size_t>(S), 0));
  m.c_min = lower_bound;
  for (const auto& pin : p.pinned) {
    const auto& opt = p.options[pin.option];
    int64_t held = std::min(S, floor_slots(pin.remaining, l.slot));
    for (int64_t t = 0; t < held; ++t) m.pinned_use[opt.node][t] += opt.devices;
    m.pinned_area[opt.node] += pin.remaining * static_cast<double>(opt.devices);
    m.c_min = std::max(m.c_min, pin.remaining);
  }
  m.cap0 = classes;
  m.area0 = m.cap0 + static_cast<int>(p.nodes.size() * S);
  m.mono0 = m.area0 + static_cast<int>(p.nodes.size());
  m.span_row = m.mono0 + static_cast<int>(S - 1);
  m.end0 = m.span_row + 1;
  m.rows = m.end0;
  m.first_end.assign(l.options.size(), INT64_MAX);
  if (exact_ends) m.first_end = end_row_starts(p, cl, l, m.c_min);
  for (size_t k = 0; k < l.options.size(); ++k)
    if (m.first_end[k] != INT64_MAX) m.rows += static_cast<int>(l.last_start[k] - m.first_end[k] + 1);
  m.row_lo.assign(m.rows, -COIN_DBL_MAX);
  m.row_hi.assign(m.rows, 0.0);
  for (int c = 0; c < classes; ++c) m.row_lo[c] = m.row_hi[c] = static_cast<double>(cl.jobs[c].size());
  for (size_t n = 0; n < p.nodes.size(); ++n) {
    for (int64_t t = 0; t < S; ++t) m.row_hi[m.cap0 + n * S + t] = -static_cast<double>(m.pinned_use[n][t]);
    m.row_hi[m.area0 + n] = -m.pinned_area[n];
  }
}

void add_columns(Model& m, const PlanProblem& p, const Classes& cl, const Layout& l, double horizon) {
  const int64_t S = m.S;
  std::vector<int> idx;
  std::vector<double> val;
  int end_row = m.end0;
  std::vector<int> c_end;  // the end rows C is in
  for (size_t k = 0; k < l.options.size(); ++k) {
    const auto& mo = cl.options[l.options[k]];
    const auto& opt = p.options[mo.rep];
    for (int64_t t = 0; t <= l.last_start[k]; ++t) {
      idx.clear();
      val.clear();
      for (size_t c : mo.classes) {
        idx.push_back(static_cast<int>(c));
        val.push_back(1.0);
      }
      for (int64_t u = t; u < std::min(S, t + l.footprint[k]); ++u) {
        idx.push_back(m.cap0 + static_cast<int>(opt.node * S + u));
        val.push_back(static_cast<double>(opt.devices));
      }
      idx.push_back(m.area0 + static_cast<int>(opt.node));
      val.push_back(static_cast<double>(opt.devices) * opt.duration);
      if (t >= m.first_end[k]) {  // C >= (t x slot + duration) x / bound: a used copy ends there or later
        idx.push_back(end_row);
        val.push_back((static_cast<double>(t) * l.slot + opt.duration) / static_cast<double>(mo.bound));
        c_end.push_back(end_row++);
      }
      m.column(idx, val, 0, static_cast<double>(mo.bound), 0, true);
      m.col_of.push_back({k, t});
    }
  }
  m.e0 = static_cast<int>(m.col_of.size());
  for (int64_t u = 0; u < S; ++u) {
    idx.clear();
    val.clear();
    for (size_t n = 0; n < p.nodes.size(); ++n) {
      idx.push_back(m.cap0 + static_cast<int>(n * S + u));
      val.push_back(-static_cast<double>(p.nodes[n].devices));
    }
    if (u >= 1) { idx.push_back(m.mono0 + static_cast<int>(u - 1)); val.push_back(1.0); }     // e_u - e_{u-1} <= 0
    if (u + 1 < S) { idx.push_back(m.mono0 + static_cast<int>(u)); val.push_back(-1.0); }
    idx.push_back(m.span_row);
    val.push_back(l.slot);
    m.column(idx, val, 0, 1, 0, true);
  }
  idx.clear();
  val.clear();
  for (size_t n = 0; n < p.nodes.size(); ++n) {
    idx.push_back(m.area0 + static_cast<int>(n));
    val.push_back(-static_cast<double>(p.nodes[n].devices));
  }
  idx.push_back(m.span_row);
  val.push_back(-1.0);
  for (int r : c_end) {
    idx.push_back(r);
    val.push_back(-1.0);
  }
  m.c_col = static_cast<int>(m.col_lo.size());
  m.column(idx, val, std::min(m.c_min, horizon), horizon, 1.0, false);
  m.ncols = m.c_col + 1;
}

// The warm plan in slots, as a first solution; nullopt when it uses an
// option the model left out.
std::optional<std::vector<double>> warm_solution(const PlanProblem& p, const Classes& cl, const Layout& l,
                                                 const Model& m, const Plan& warm, double horizon) {
  std::map<size_t, size_t> layout_index;  // model option -> index into l.options
  for (size_t k = 0; k < l.options.size(); ++k) layout_index[l.options[k]] = k;
  std::vector<int64_t> first_col(l.options.size(), 0);
  for (size_t c = 0, k = SIZE_MAX; c < m.col_of.size(); ++c)
    if (m.col_of[c].first != k) { k = m.col_of[c].first; first_col[k] = static_cast<int64_t>(c); }
  std::vector<double> first(static_cast<size_t>(m.ncols), 0.0);
  int64_t used = 0;
  std::vector<double> area(p.nodes.size(), 0.0);
  double ends = 0;  // what the end rows ask of C
  for (const auto& a : warm.items) {
    if (a.pinned) continue;
    auto mo = cl.of_option.find(a.option);
    if (mo == cl.of_option.end() || !layout_index.count(mo->second.first)) return std::nullopt;
    size_t k = layout_index[mo->second.first];
    int64_t t = std::min(l.last_start[k], floor_slots(a.start, l.slot));
    first[static_cast<size_t>(first_col[k] + t)] += 1.0;
    used = std::max(used, std::min(m.S, t + l.footprint[k]));
    const auto& opt = p.options[a.option];
    area[opt.node] += static_cast<double>(opt.devices) * opt.duration;
    if (t >= m.first_end[k]) ends = std::max(ends, static_cast<double>(t) * l.slot + opt.duration);
  }
  for (size_t n = 0; n < p.nodes.size(); ++n)
    for (int64_t t = 0; t < m.S; ++t)
      if (m.pinned_use[n][t] > 0) used = std::max(used, t + 1);
  double warm_c = std::max({m.col_lo[m.c_col], l.slot * static_cast<double>(used), ends});
  for (size_t n = 0; n < p.nodes.size(); ++n)
    warm_c = std::max(warm_c, (area[n] + m.pinned_area[n]) / static_cast<double>(p.nodes[n].devices));
  for (int64_t u = 0; u < used; ++u) first[static_cast<size_t>(m.e0 + u)] = 1.0;
  first[m.c_col] = std::min(horizon, warm_c);
  return first;
}

// CBC's cut generators and heuristics for these models; alive while it searches.
struct Search {
  CglProbing probing;
  CglGomory gomory;
  CglKnapsackCover knapsack;
  CglClique clique;
  CglMixedIntegerRounding2 mir;
  CglFlowCover flow;
  std::unique_ptr<CbcRounding> rounding;
  std::unique_ptr<CbcHeuristicLocal> local;
  std::unique_ptr<CbcHeuristicFPump> pump;
  std::unique_ptr<CbcHeuristicRINS> rins;

  void attach(CbcModel& model) {
    probing.setUsingObjective(true);
    probing.setMaxPass(1);
    probing.setMaxPassRoot(3);
    probing.setMaxProbe(10);
    probing.setMaxLook(50);
    probing.setRowCuts(3);
    gomory.setLimit(300);
    clique.setStarCliqueReport(false);
    clique.setRowCliqueReport(false);
    model.addCutGenerator(&probing, -1, "Probing");
    model.addCutGenerator(&gomory, -1, "Gomory");
    model.addCutGenerator(&knapsack, -1, "Knapsack");
    model.addCutGenerator(&clique, -1, "Clique");
    model.addCutGenerator(&mir, -1, "MixedIntegerRounding2");
    model.addCutGenerator(&flow, -1, "FlowCover");
    rounding = std::make_unique<CbcRounding>(model);
    model.addHeuristic(rounding.get());
    local = std::make_unique<CbcHeuristicLocal>(model);
    model.addHeuristic(local.get());
    pump = std::make_unique<CbcHeuristicFPump>(model);
    model.addHeuristic(pump.get());
    rins = std::make_unique<CbcHeuristicRINS>(model);
    model.addHeuristic(rins.get());
  }
};

void configure(CbcModel& model, const MilpOptions& mo, double horizon, int64_t columns) {
  model.setLogLevel(0);
  model.messageHandler()->setLogLevel(0);
  model.solver()->messageHandler()->setLogLevel(0);
  model.setUseElapsedTime(true);
  model.setAllowableFractionGap(mo.gap);
  model.setAllowableGap(1e-9 * horizon);
  // Strong branching re-solves the LP per candidate and is not under CBC's
  // clock; on large models it can run a minute past the limit.
  if (columns > 10000) {
    model.solver()->setIntParam(OsiMaxNumIterationHotStart, 20);
    model.setNumberStrong(0);
    model.setNumberBeforeTrust(0);
  }
}

// CBC's solution as a plan: copies of a class pattern go to the class's
// jobs in order; the best of three compactions.
Plan plan_from_solution(const PlanProblem& p, const Classes& cl, const Layout& l, const Model& m, const double* sol) {
  std::vector<size_t> next_member(cl.jobs.size(), 0);
  std::vector<std::pair<double, size_t>> chosen;
  for (size_t c = 0; c < m.col_of.size(); ++c) {
    auto copies = static_cast<int64_t>(std::llround(sol[c]));
    const auto& mo = cl.options[l.options[m.col_of[c].first]];
    for (int64_t k = 0; k < copies; ++k) {
      size_t o = mo.rep;
      if (p.options[mo.rep].jobs.size() == 1) {
        size_t member = next_member[mo.classes[0]]++;
        if (member >= mo.members.size()) throw internal_error("planner: CBC started a class more times than it has jobs");
        o = mo.members[member];
      }
      chosen.push_back({static_cast<double>(m.col_of[c].second) * l.slot, o});
    }
  }
  Plan best;
  best.makespan = std::numeric_limits<double>::infinity();
  for (int rule = 0; rule < 3; ++rule) {
    Plan plan = compact(p, chosen, rule);
    if (plan.makespan < best.makespan) best = std::move(plan);
  }
  return best;
}

MilpResult solve_milp_unguarded(const PlanProblem& p, const Plan& warm, const MilpOptions& mo) {
  auto t0 = Clock::now();
  MilpResult r;
  const double horizon = warm.makespan;
  const std::vector<size_t> free = p.free_options();
  if (free.empty() || !(horizon > 0)) {
    r.skipped = "nothing to plan";
    return r;
  }
  const Classes cl = make_classes(p, free);
  const auto l = choose_layout(p, cl, free, horizon, mo, &r.skipped);
  if (!l) return r;
  r.slots = l->slots;
  Model m;
  add_rows(m, p, cl, *l, mo.lower_bound, mo.exact_ends);
  add_columns(m, p, cl, *l, horizon);
  r.columns = m.ncols;
  r.rows = m.rows;
  r.nonzeros = static_cast<int64_t>(m.idx.size());
  std::vector<int> lengths;
  for (size_t c = 0; c + 1 < m.starts.size(); ++c) lengths.push_back(static_cast<int>(m.starts[c + 1] - m.starts[c]));
  CoinPackedMatrix matrix(true, m.rows, m.ncols, static_cast<CoinBigIndex>(m.idx.size()), m.val.data(), m.idx.data(),
                          m.starts.data(), lengths.data());

  OsiClpSolverInterface solver;
  solver.messageHandler()->setLogLevel(0);
  // Dual simplex for the root LP: Clp's automatic choice may run its "idiot"
  // crash, whose crossover crashes in Clp 1.17 on these models.
  ClpSolve lp_options;
  lp_options.setSolveType(ClpSolve::useDual);
  lp_options.setPresolveType(ClpSolve::presolveOn);
  solver.setSolveOptions(lp_options);
  solver.loadProblem(matrix, m.col_lo.data(), m.col_hi.data(), m.obj.data(), m.row_lo.data(), m.row_hi.data());
  for (int c = 0; c < m.ncols; ++c)
    if (m.integer[c]) solver.setInteger(c);
  const auto first = warm_solution(p, cl, *l, m, warm, horizon);

  CbcModel model(solver);
  configure(model, mo, horizon, r.columns);
  if (mo.makespan_first) {
    // Branch on the slots the plan runs in (e) before any start: each such
    // branch halves the makespans left, and bounds rise sooner.
    model.findIntegers(false);
    std::vector<int> priority(static_cast<size_t>(model.numberIntegers()));
    for (int i = 0; i < model.numberIntegers(); ++i) {
      const int c = model.integerVariable()[i];
      priority[static_cast<size_t>(i)] = c >= m.e0 && c < m.c_col ? 1 : 1000;
    }
    model.passInPriorities(priority.data(), false);
  }
  Search search;
  search.attach(model);
  double left = mo.time_limit - std::chrono::duration<double>(Clock::now() - t0).count();
  model.setMaximumSeconds(std::max(0.05, left));
  if (mo.max_nodes >= 0) model.setMaximumNodes(static_cast<int>(std::min<int64_t>(mo.max_nodes, 1 << 30)));
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
  if (first) model.setBestSolution(first->data(), m.ncols, (*first)[m.c_col], true);
  model.branchAndBound();
  r.ran = true;

  double best_possible = model.getBestPossibleObjValue();
  if (std::isfinite(best_possible) && best_possible < 1e50) r.bound = std::max(0.0, best_possible * (1 - 1e-9));
  const double* sol = model.bestSolution();
  double obj_value = model.getObjValue();
  if (model.isProvenOptimal() && sol && obj_value <= best_possible + 1e-6 * std::max(1.0, obj_value)) r.stop = "optimal";
  else if (model.isProvenOptimal()) r.stop = "gap";
  else if (model.isSecondsLimitReached()) r.stop = "time limit";
  else if (model.isNodeLimitReached()) r.stop = "node limit";
  else r.stop = "stopped";
  r.nodes = model.getNodeCount();
  if (model.isProvenOptimal() && sol) r.proven = true;
  if (sol) {
    r.plan = plan_from_solution(p, cl, *l, m, sol);
    r.has_plan = true;
  }
  return r;
}

}  // namespace

int64_t milp_slots(const PlanProblem& p, const Plan& warm, const MilpOptions& mo) {
  const std::vector<size_t> free = p.free_options();
  if (free.empty() || !(warm.makespan > 0)) return 0;
  std::string skipped;
  const auto l = choose_layout(p, make_classes(p, free), free, warm.makespan, mo, &skipped);
  return l ? l->slots : 0;
}

MilpResult solve_milp(const PlanProblem& p, const Plan& warm, const MilpOptions& mo) {
  try {
    return solve_milp_unguarded(p, warm, mo);
  } catch (const CoinError& e) {
    throw internal_error("planner: CBC failed in " + e.className() + "::" + e.methodName() + ": " + e.message());
  }
}

}  // namespace saturn
