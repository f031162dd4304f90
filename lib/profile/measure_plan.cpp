#include "profile/measure_plan.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/units.h"
#include "plan/heuristic.h"
#include "profile/estimator.h"
#include "profile/profile_forecast.h"
#include "profile/trial_batches.h"

namespace saturn {
namespace {

std::string pct(double x) { return std::to_string(static_cast<int>(std::lround(x * 100))) + "%"; }

// The trial belongs to the view row: same shape, group, technique, device
// count (and group size for fused strategies, each its own row).
bool trial_of(const Trial& t, const ProfileRow& r) {
  return t.shape == r.shape && t.group == r.group && t.key.technique == r.entry.key.technique &&
         t.key.devices == r.entry.key.devices && (t.key.technique != Technique::Fused || t.key.knobs == r.entry.key.knobs);
}

}  // namespace

MeasureOptions measure_options(const Workload& w, int64_t steps) {
  const ProfileSpec& s = w.profile;
  MeasureOptions o;
  o.margin = s.margin;
  o.budget_s = s.budget_seconds > 0 ? s.budget_seconds : -1;
  o.budget_share = s.budget_share * expected_work_share(w.early_stopping, steps);
  return o;
}

ProfileForecast forecast_measurement(const Workload& w, const JobSet& jobs, const WorkloadProblem& wp,
                                     const ProfileStore& store, bool cuda_here, ProfileMode mode, MeasureChoice* choice) {
  switch (mode) {
    case ProfileMode::None: return {};
    case ProfileMode::Full: return forecast_profile(w, jobs, store, cuda_here);
    case ProfileMode::Auto: break;
  }
  int64_t steps = 0;  // a job's steps (the view's runtimes know them)
  for (const auto& r : wp.view) steps = std::max(steps, r.runtime.steps);
  MeasureChoice c =
      choose_measurements(wp, measure_candidates(w, jobs, wp, store, cuda_here, true), measure_options(w, steps));
  ProfileForecast f = forecast_profile(w, jobs, store, cuda_here, false, &c.trials);
  if (choice) *choice = std::move(c);
  return f;
}

double retime(const Plan& plan, const PlanProblem& p, const std::vector<double>& durations) {
  std::vector<const Assignment*> items;
  for (const auto& a : plan.items) items.push_back(&a);
  std::stable_sort(items.begin(), items.end(), [](const Assignment* a, const Assignment* b) { return a->start < b->start; });
  std::map<std::pair<size_t, int64_t>, double> free;
  double end = 0;
  for (const Assignment* a : items) {
    const size_t node = p.options[a->option].node;
    double start = 0;
    if (!a->pinned)
      for (int64_t d : a->device_ids) start = std::max(start, free[{node, d}]);
    const double stop = start + (a->pinned ? a->end - a->start : durations[a->option]);
    for (int64_t d : a->device_ids) free[{node, d}] = stop;
    end = std::max(end, stop);
  }
  return end;
}

std::vector<MeasureCandidate> measure_candidates(const Workload& w, const JobSet& jobs, const WorkloadProblem& wp,
                                                 const ProfileStore& store, bool cuda_here, bool elsewhere) {
  const auto groups = device_groups(w, cuda_here);
  const auto trials = enumerate_trials(w, jobs, groups);
  const EstimateOptions eo = estimate_options(w);
  const Estimator accounting(eo, {}, jobs);
  const auto measured = store.entries();
  const double timed_steps = stored_timed_steps(store);
  std::set<size_t> used(wp.rows.begin(), wp.rows.end());
  std::map<size_t, MeasureCandidate> by_row;
  std::map<size_t, std::vector<Trial>> batch_of;  // a row's trials so far
  std::map<size_t, Estimator> by_group;
  for (const Trial& t : trials) {
    if (groups[t.group].kind == DeviceKind::Cuda && !cuda_here && !elsewhere) continue;  // not here: estimated
    size_t row = wp.view.size();
    for (size_t r = 0; r < wp.view.size() && row == wp.view.size(); ++r)
      if (used.count(r) && wp.view[r].band.width > 0 && trial_of(t, wp.view[r])) row = r;
    if (row == wp.view.size()) continue;
    if (trial_need(t, jobs, groups, store, accounting, false) != TrialNeed::Run) continue;
    auto est = by_group.find(t.group);
    if (est == by_group.end()) {
      EstimateOptions go = eo;
      go.memory_budget = groups[t.group].memory;
      est = by_group.emplace(t.group, Estimator(go, measured, jobs)).first;
    }
    MeasureCandidate& c = by_row[row];
    c.row = row;
    c.trials.push_back(t.key);
    // A row's trials of one process (trial_batches.h) pay its shared fixed cost once.
    auto& mates = batch_of[row];
    const bool joins = std::any_of(mates.begin(), mates.end(), [&](const Trial& m) { return same_process(m, t); });
    mates.push_back(t);
    const double shared = joins ? shared_fixed_cost(est->second, t.key) : 0;
    c.cost_s += trial_seconds(est->second, jobs.shapes[t.shape], t.key, timed_steps) - shared;
    c.cost_hi_s += trial_seconds(est->second, jobs.shapes[t.shape], t.key, timed_steps, true) - shared;
  }
  std::vector<MeasureCandidate> out;
  for (auto& [row, c] : by_row) out.push_back(std::move(c));
  return out;
}

MeasureChoice choose_measurements(const WorkloadProblem& wp, std::vector<MeasureCandidate> candidates,
                                  const MeasureOptions& o) {
  const PlanProblem& p = wp.problem;
  const size_t n = p.options.size();
  std::vector<double> point(n), fast(n), slow(n);
  for (size_t i = 0; i < n; ++i) {
    const double b = i < wp.bands.size() ? wp.bands[i] : 0;
    point[i] = p.options[i].duration;
    fast[i] = point[i] / (1 + b);
    slow[i] = point[i] * (1 + b);
  }
  HeuristicOptions ho;
  ho.time_limit = o.solve_s;
  ho.iterations = 1000;
  ho.max_targets = 16;
  auto solve = [&](const std::vector<double>& d) {
    PlanProblem q = p;
    for (size_t i = 0; i < n; ++i) q.options[i].duration = d[i];
    return heuristic_plan(q, ho);
  };
  MeasureChoice out;
  out.plan = solve(point);
  const double makespan = out.plan.makespan;
  out.budget_s = o.budget_s >= 0 ? o.budget_s : o.budget_share * makespan;
  out.upper_s = std::min(retime(out.plan, p, slow), solve(slow).makespan);
  // The cheapest device-seconds of each job at its options' fast edges
  // (a fused option's shared by its jobs).
  std::vector<double> cheapest(p.jobs.size(), INFINITY);
  for (size_t i = 0; i < n; ++i)
    for (size_t j : p.options[i].jobs)
      cheapest[j] = std::min(cheapest[j], fast[i] * static_cast<double>(p.options[i].devices) /
                                              static_cast<double>(p.options[i].jobs.size()));
  double all_cheapest = 0;
  for (double c : cheapest) all_cheapest += std::isfinite(c) ? c : 0;
  const double devices = static_cast<double>(std::max<int64_t>(1, p.total_devices()));
  std::set<size_t> planned;
  for (const auto& a : out.plan.items) planned.insert(a.option);

  std::vector<size_t> worth;
  for (size_t ci = 0; ci < candidates.size(); ++ci) {
    MeasureCandidate& c = candidates[ci];
    std::vector<size_t> mine;
    for (size_t i = 0; i < n; ++i)
      if (wp.rows[i] == c.row) mine.push_back(i);
    if (mine.empty()) {
      c.why = "no option of the plan's problem uses it";
      continue;
    }
    // A plan that uses it: at least the option itself, and at least the
    // workload's cheapest device-seconds with this option's over all devices.
    c.best_s = INFINITY;
    for (size_t i : mine) {
      double area = all_cheapest + fast[i] * static_cast<double>(p.options[i].devices);
      for (size_t j : p.options[i].jobs) area -= std::isfinite(cheapest[j]) ? cheapest[j] : 0;
      c.best_s = std::min(c.best_s, std::max(fast[i], area / devices));
      c.in_plan |= planned.count(i) > 0;
    }
    const size_t first = mine.front();
    const std::string estimate = human_duration(point[first]) + " +- " + pct(wp.bands[first]);
    if (c.best_s > (1 + o.margin) * out.upper_s) {
      c.why = "cannot be in a plan within " + pct(o.margin) + ": at best " + human_duration(c.best_s) + " (a run of " +
              estimate + ") against a plan of at most " + human_duration(out.upper_s);
      continue;
    }
    // What knowing it can gain: the plan were it at its fast edge; for a
    // strategy the plan uses, the re-plan were it at its slow edge.
    std::vector<double> d = point;
    for (size_t i : mine) d[i] = fast[i];
    c.gain_s = std::max(0.0, makespan - solve(d).makespan);
    if (c.in_plan) {
      for (size_t i : mine) d[i] = slow[i];
      c.gain_s = std::max(c.gain_s, retime(out.plan, p, d) - solve(d).makespan);
    }
    if (!(c.gain_s > c.cost_s)) {
      c.why = (c.gain_s > 0 ? "could gain at most " + human_duration(c.gain_s) : std::string("could gain nothing")) +
              " (a run of " + estimate + "), its trials take " + human_duration(c.cost_s);
      continue;
    }
    worth.push_back(ci);
  }
  std::stable_sort(worth.begin(), worth.end(), [&](size_t a, size_t b) {
    return candidates[a].gain_s / std::max(candidates[a].cost_s, 1e-9) >
           candidates[b].gain_s / std::max(candidates[b].cost_s, 1e-9);
  });
  for (size_t ci : worth) {
    MeasureCandidate& c = candidates[ci];
    const double hi = std::max(c.cost_s, c.cost_hi_s);
    if (out.cost_hi_s + hi > out.budget_s) {
      c.why = "over the measurement budget: its trials may take " + human_duration(hi) + ", " +
              human_duration(std::max(0.0, out.budget_s - out.cost_hi_s)) + " of " + human_duration(out.budget_s) + " left";
      continue;
    }
    c.measure = true;
    c.why = "measure: could gain " + human_duration(c.gain_s) + " for " + human_duration(c.cost_s) + " of trials";
    out.cost_s += c.cost_s;
    out.cost_hi_s += hi;
    out.order.push_back(ci);
    out.trials.insert(out.trials.end(), c.trials.begin(), c.trials.end());
  }
  out.candidates = std::move(candidates);
  return out;
}

}  // namespace saturn
