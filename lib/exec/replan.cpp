#include "exec/replan.h"

#include <algorithm>

#include "exec/dispatch.h"

namespace saturn {
namespace {
constexpr size_t kNone = static_cast<size_t>(-1);
}

RemainingProblem remaining_problem(const PlanProblem& p, const std::vector<JobNow>& now) {
  RemainingProblem out;
  PlanProblem& r = out.problem;
  std::vector<size_t> j2r(p.jobs.size(), kNone);
  r.nodes = p.nodes;
  for (size_t j = 0; j < p.jobs.size(); ++j)
    if (!now[j].finished) {
      j2r[j] = r.jobs.size();
      r.jobs.push_back(p.jobs[j]);
      out.job_in_p.push_back(j);
    }
  for (size_t k = 0; k < p.options.size(); ++k) {
    // A fused group stays an option for its unfinished jobs while two or
    // more are left (jobs stopped early leave the group, the others go on
    // together); it lasts as long as its furthest-behind job.
    PlanOption opt = p.options[k];
    double scale = 0;
    std::vector<size_t> left;
    for (size_t j : opt.jobs)
      if (j2r[j] != kNone) {
        scale = std::max(scale, now[j].left * now[j].factor);
        left.push_back(j2r[j]);
      }
    if (left.empty() || (left.size() < opt.jobs.size() && left.size() < 2)) continue;
    opt.jobs = left;
    opt.duration = std::max(1e-3, opt.duration * scale);
    out.option_in_p.push_back(k);
    r.options.push_back(opt);
  }
  return out;
}

namespace {

// One pin per running option (a fused group's jobs share theirs), with the
// running jobs and each job's remaining seconds.
std::vector<PinnedOption> running_pins(const PlanProblem& p, const std::vector<JobNow>& now, const RemainingProblem& rp,
                                       std::vector<size_t>* running, std::vector<double>* remaining) {
  std::vector<size_t> p2r(p.options.size(), kNone);
  for (size_t i = 0; i < rp.option_in_p.size(); ++i) p2r[rp.option_in_p[i]] = i;
  std::vector<PinnedOption> pins;
  remaining->assign(p.jobs.size(), 0);
  for (size_t j = 0; j < p.jobs.size(); ++j) {
    if (!now[j].running) continue;
    const size_t pinned = p2r[now[j].option];
    (*remaining)[j] = now[j].remaining_s >= 0 ? now[j].remaining_s : rp.problem.options[pinned].duration;
    auto same = std::find_if(pins.begin(), pins.end(), [&](const PinnedOption& q) { return q.option == pinned; });
    if (same != pins.end()) {
      same->remaining = std::max(same->remaining, (*remaining)[j]);
      continue;
    }
    running->push_back(j);
    pins.push_back({pinned, now[j].device_ids, (*remaining)[j]});
  }
  return pins;
}

// A plan over the remaining problem's options, back over p's.
Plan over_p(const PlanProblem& p, const RemainingProblem& rp, const Plan& solved) {
  Plan out;
  for (auto a : solved.items) {
    a.option = rp.option_in_p[a.option];
    out.items.push_back(std::move(a));
  }
  out.bound = solved.bound;
  out.method = solved.method;
  out.stop = solved.stop;
  out.solve_s = solved.solve_s;
  out.milp = solved.milp;
  finish_plan(out, p);
  return out;
}

}  // namespace

Plan plan_remaining(const PlanProblem& p, const std::vector<JobNow>& now, const PlanOptions& o) {
  const RemainingProblem rp = remaining_problem(p, now);
  if (rp.problem.jobs.empty()) return {};
  return over_p(p, rp, solve_plan(rp.problem, o));
}

Plan plan_around_running(const PlanProblem& p, const std::vector<JobNow>& now, const PlanOptions& o) {
  const RemainingProblem rp = remaining_problem(p, now);
  if (rp.problem.jobs.empty()) return {};
  PlanProblem r = rp.problem;
  std::vector<size_t> running;
  std::vector<double> remaining;
  r.pinned = running_pins(p, now, rp, &running, &remaining);
  return over_p(p, rp, solve_plan(r, o));
}

Replan replan(const PlanProblem& p, const Plan& current, const std::vector<JobNow>& now, const ReplanOptions& o) {
  Replan out;
  const RemainingProblem rp = remaining_problem(p, now);
  const PlanProblem& r = rp.problem;
  if (r.jobs.empty()) return out;
  const std::vector<size_t>& r2j = rp.job_in_p;
  const std::vector<size_t>& r2p = rp.option_in_p;
  std::vector<size_t> j2r(p.jobs.size(), kNone), p2r(p.options.size(), kNone);
  for (size_t i = 0; i < r2j.size(); ++i) j2r[r2j[i]] = i;
  for (size_t i = 0; i < r2p.size(); ++i) p2r[r2p[i]] = i;
  std::vector<size_t> running;
  std::vector<double> remaining;
  const std::vector<PinnedOption> pins = running_pins(p, now, rp, &running, &remaining);

  // The current plan re-timed under the dispatch rule.
  std::vector<DispatchItem> items;
  for (const auto& a : current.items) {
    const size_t j = p.options[a.option].jobs[0];
    DispatchItem d;
    d.node = p.options[a.option].node;
    d.device_ids = now[j].running ? now[j].device_ids : a.device_ids;
    d.running = now[j].running;
    d.duration = now[j].finished ? 0
                 : now[j].running ? remaining[j]
                 : p2r[a.option] != kNone ? r.options[p2r[a.option]].duration
                                          : p.options[a.option].duration * now[j].left * now[j].factor;
    items.push_back(std::move(d));
  }
  out.current = simulate_dispatch(items);

  PlanProblem stay = r;
  stay.pinned = pins;
  Plan best = solve_plan(stay, o.plan);
  if (!running.empty()) {
    // Where would running jobs go if moving cost only its restart?
    PlanProblem loose = r;
    for (size_t j : running)
      for (size_t k : loose.options_of(j2r[j])) loose.options[k].duration += o.restart_cost;
    std::vector<size_t> candidates;
    // Only single jobs move: a running fused group stays together where it is.
    for (const auto& a : solve_plan(loose, o.plan).items) {
      const size_t j = r2j[loose.options[a.option].jobs[0]];
      if (now[j].running && r2p[a.option] != now[j].option && p.options[now[j].option].jobs.size() == 1 &&
          std::find(running.begin(), running.end(), j) != running.end())
        candidates.push_back(j);
    }
    if (!candidates.empty()) {
      PlanProblem mixed = loose;
      for (size_t k = 0; k < running.size(); ++k)
        if (std::find(candidates.begin(), candidates.end(), running[k]) == candidates.end()) mixed.pinned.push_back(pins[k]);
      Plan m = solve_plan(mixed, o.plan);
      if (m.makespan + o.threshold <= best.makespan) {
        best = std::move(m);
        out.moved = candidates;
      }
    }
  }
  out.proposed = best.makespan;
  const double gain = out.current - best.makespan;
  out.adopt = gain > 0 && gain >= o.threshold;
  if (!out.adopt) {
    out.moved.clear();
    return out;
  }
  out.plan = over_p(p, rp, best);
  return out;
}

}  // namespace saturn
