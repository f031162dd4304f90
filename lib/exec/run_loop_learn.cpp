// The runner learning from the run (runner.h): a group's first step rate
// is reported and, far from the plan's, re-plans at once; a strategy that
// does not fit (out of memory) is recorded, dropped for its shape and
// re-planned around the running groups, without spending a restart.
#include <cmath>
#include <cstdio>

#include "core/units.h"
#include "exec/replan.h"
#include "exec/run_loop.h"

namespace saturn::run_detail {

bool RunLoop::unfit_exit(size_t j, int code) {
  Live& l = live_[j];
  if (code == 0 || l.prog.infeasible.empty() || l.stopping || stop_sig_) return false;
  const size_t bad = l.option;
  const PlanOption was = p_.options[bad];
  st_.end_attempt(l.attempt_id, wall(), code, "infeasible", std::max<int64_t>(l.prog.checkpoint, 0));
  l.rec.steps_done = std::max<int64_t>(l.prog.checkpoint, 0);
  // The strategy fits no job of this shape on a node of this kind.
  for (auto& o : p_.options)
    if (o.technique == was.technique && o.knobs == was.knobs && o.devices == was.devices &&
        o.jobs.size() == was.jobs.size() && p_.nodes[o.node].kind == p_.nodes[was.node].kind &&
        in_.jobs[o.jobs.front()].shape == in_.jobs[was.jobs.front()].shape)
      o.duration = kBanned;
  if (l.lead == j && o_.on_infeasible) o_.on_infeasible(j, bad, l.prog.infeasible);
  bool left = false;
  for (size_t o : p_.options_of(j)) left |= p_.options[o].duration < kBanned;
  if (!left) {
    l.rec.status = JobStatus::Failed;
    l.rec.message = "no strategy fits: " + was.label() + " did not (" + l.prog.infeasible + ")";
    save(j);
    event("failed", l.rec.id, l.rec.message);
    return true;
  }
  l.rec.status = JobStatus::Pending;
  save(j);
  event("infeasible", l.rec.id, was.label() + " does not fit (" + l.prog.infeasible +
                                    "): recorded; planning again without it, no restart spent");
  if (unfit_.empty()) unfit_ = l.rec.id + ": " + was.label() + " does not fit";
  return true;
}

// Plans what is left around the running groups, without the strategies
// found not to fit.
void RunLoop::replan_unfit() {
  const std::string why = unfit_;
  unfit_.clear();
  if (rungs_joint()) {
    replan_rungs(why);
    return;
  }
  PlanOptions po = o_.plan;
  po.time_limit = o_.replan_time_limit;
  po.work_limit = 0;  // mid-run: bounded by time
  Plan plan = plan_around_running(p_, jobs_now(), po);
  if (plan.items.empty()) return;
  const double makespan = plan.makespan;
  adopt(std::move(plan), "infeasible: " + why, makespan);
}

// A group's first step rate of this attempt (its lead's, for a fused
// group): reported, and compared with the plan.
void RunLoop::learn(size_t j) {
  Live& l = live_[j];
  if (l.rate_seen || l.lead != j || !(l.prog.step_time > 0)) return;
  l.rate_seen = true;
  if (o_.on_rate) o_.on_rate(j, l.option, l.prog.step_time);
  if (!(o_.learn_margin > 0) || stop_sig_ || rungs_joint()) return;
  const double planned = l.option < in_.step_s.size() && in_.step_s[l.option] > 0
                             ? in_.step_s[l.option]
                             : p_.options[l.option].duration / double(std::max<int64_t>(1, l.rec.steps_total));
  const double ratio = l.prog.step_time / planned;
  if (std::abs(std::log(ratio)) <= std::log1p(o_.learn_trigger)) return;
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s steps in %s, %.2fx its plan's %s", l.rec.id.c_str(),
                human_duration(l.prog.step_time).c_str(), ratio, human_duration(planned).c_str());
  if (learned_.empty()) learned_ = buf;
}

}  // namespace saturn::run_detail
