// The runner's early stopping (runner.h): jobs pause at their rungs, each
// pause is decided by the rule (core/early_stopping.h) and recorded in
// state.db before anything else happens, and, planned jointly, every
// decision re-plans the jobs left: the next wave (the open jobs that have
// passed the fewest rungs) to their next rungs, around the running ones.
#include <algorithm>
#include <climits>
#include <cmath>

#include "core/units.h"
#include "exec/run_loop.h"

namespace saturn::run_detail {

int64_t RunLoop::next_rung(size_t j) const {
  for (int64_t r : in_.jobs[j].rungs)
    if (r > live_[j].rec.steps_done) return r;
  return 0;
}

int64_t RunLoop::rung_index(size_t j, int64_t step) const {
  const auto& rungs = in_.jobs[j].rungs;
  auto it = std::find(rungs.begin(), rungs.end(), step);
  return it == rungs.end() ? -1 : static_cast<int64_t>(it - rungs.begin());
}

// Decides job j's rung at `step` (once: a recorded decision stands). The
// metric is the one stored with its checkpoint there unless given.
bool RunLoop::settle(size_t j, int64_t step, std::optional<double> metric, const std::string& reason) {
  Live& l = live_[j];
  const int64_t k = rung_index(j, step);
  if (k < 0) return false;
  const RungDecision* d = book_.find(l.rec.id, k);
  double loss = NAN, rung_eval = NAN;
  if (!d) {
    double m = metric.value_or(NAN);
    if (!metric) {
      const auto sm = l_.checkpoint_metrics(l.rec.id, step);
      if (sm) {
        loss = sm->loss;
        rung_eval = sm->eval_loss;
        const EarlyStopping& e = o_.early_stopping;
        if (e.maximized()) {  // a task's metric; a rung not scored ranks last
          auto it = sm->tasks.find(e.metric);
          m = it == sm->tasks.end() ? NAN : it->second;
        } else {
          m = e.metric == "valid_loss" && !std::isnan(sm->eval_loss) ? sm->eval_loss : sm->loss;
        }
      }
    }
    const RungDecision made = book_.decide(l.rec.id, in_.jobs[j].bracket, k, step, m, reason);
    st_.add_rung(made, wall());
    d = book_.find(l.rec.id, k);
    event("rung", l.rec.id, rung_decision_text(made, o_.early_stopping.rule));
    rung_event_ = l.rec.id + " at rung " + std::to_string(k);
  }
  if (!d->stop) return true;
  l.rec.status = JobStatus::Stopped;
  l.rec.steps_done = step;
  if (!std::isnan(loss)) l.rec.final_loss = loss;
  const std::string& by = o_.early_stopping.metric;
  if (by == "valid_loss") l.rec.eval_loss = std::isfinite(d->metric) ? d->metric : NAN;
  else if (by == "train_loss") l.rec.eval_loss = NAN;
  else l.rec.eval_loss = rung_eval;  // a task metric decided: the rung's validation loss, where it was read
  if (by == "train_loss" && std::isfinite(d->metric)) l.rec.final_loss = d->metric;
  l.rec.message = "stopped early at step " + std::to_string(step) + ": " + rung_decision_text(*d, o_.early_stopping.rule);
  save(j);
  if (!rungs_joint()) idle_devices(j, step);
  return true;
}

void RunLoop::idle_devices(size_t j, int64_t step) {
  const Live& l = live_[j];
  if (l.option == kNone || !item_finished(l.option)) return;  // not launched by this runner, or its fused group goes on
  const int64_t left = std::max<int64_t>(0, l.rec.steps_total - step);
  double secs = p_.options[l.option].duration * double(left) / double(std::max<int64_t>(1, l.rec.steps_total));
  if (l.prog.step_time > 0) secs = double(left) * l.prog.step_time;  // measured beats planned
  if (secs <= 0) return;
  const double until = l_.now() + secs;
  for (int64_t d : l.devices) {
    double& u = idle_until_[{p_.options[l.option].node, d}];
    u = std::max(u, until);
  }
  event("idle", l.rec.id, "the fixed plan keeps its devices [" + ids_text(l.devices) + "] for its remaining " +
                              std::to_string(left) + " steps (" + human_duration(secs) +
                              "): nothing else starts on them before the next re-plan");
}

double RunLoop::next_idle_end() const {
  double t = INFINITY;
  const double now = l_.now();
  for (const auto& [dev, until] : idle_until_)
    if (until > now) t = std::min(t, until);
  return t;
}

// A worker group's exit that early stopping explains: a job that diverged
// (never retried), or a pause at the step the group was launched to stop at.
bool RunLoop::rung_exit(size_t j, int code) {
  Live& l = live_[j];
  if (l.prog.diverged > 0) {
    st_.end_attempt(l.attempt_id, wall(), code, "diverged", l.prog.diverged);
    const std::string why = "diverged at step " + std::to_string(l.prog.diverged) + " (the loss is not finite)";
    l.rec.steps_done = std::max<int64_t>(l.prog.checkpoint, 0);
    const int64_t rung = rungs_on() ? next_rung(j) : 0;
    if (rung > 0) {
      settle(j, rung, NAN, "diverged");
      return true;
    }
    l.rec.status = JobStatus::Failed;
    l.rec.message = why + "; try a lower lr";
    save(j);
    event("failed", l.rec.id, l.rec.message);
    return true;
  }
  if (code != 0 || l.stop_at <= 0 || l.prog.checkpoint != l.stop_at || stop_sig_) return false;
  st_.end_attempt(l.attempt_id, wall(), 0, "paused", l.stop_at);
  l.rec.steps_done = l.stop_at;
  l.rec.status = JobStatus::Pending;
  save(j);
  if (!settle(j, l.stop_at, std::nullopt, "")) {
    event("pause", l.rec.id, "paused at step " + std::to_string(l.stop_at) + " with its fused group");
    rung_event_ = l.rec.id + " paused";
  }
  return true;
}

// On load: the decisions made so far, then the rungs a job reached that the
// last runner did not decide (it died in between) or whose decision it did
// not apply; a job that diverged is settled too.
void RunLoop::restore_rungs() {
  for (const auto& d : st_.rungs()) book_.restore(d);
  for (size_t j = 0; j < live_.size(); ++j) {
    Live& l = live_[j];
    if (finished(j)) continue;
    if (l.prog.diverged > 0) {
      const int64_t rung = rungs_on() ? next_rung(j) : 0;
      if (rung > 0) {
        settle(j, rung, NAN, "diverged");
      } else {
        l.rec.status = JobStatus::Failed;
        l.rec.message = "diverged at step " + std::to_string(l.prog.diverged) + " (the loss is not finite); try a lower lr";
        save(j);
      }
      continue;
    }
    if (rungs_on() && rung_index(j, l.rec.steps_done) >= 0) settle(j, l.rec.steps_done, std::nullopt, "");
  }
  rung_event_.clear();
}

// The next wave to its rungs: the open jobs that passed the fewest rungs
// (ASHA's promotion order: every job reaches rung k before any goes past
// it), each planned to its next rung with the devices the running ones
// leave; jobs further along wait for a later wave.
void RunLoop::replan_rungs(const std::string& why) {
  auto level = [&](size_t j) {
    const auto& rungs = in_.jobs[j].rungs;
    return static_cast<int64_t>(std::upper_bound(rungs.begin(), rungs.end(), live_[j].rec.steps_done) - rungs.begin());
  };
  int64_t wave = INT64_MAX;
  for (size_t j = 0; j < live_.size(); ++j) {
    live_[j].held = false;
    if (!finished(j) && !live_[j].running) wave = std::min(wave, level(j));
  }
  std::vector<JobNow> now = jobs_now();
  size_t in_wave = 0, running = 0, held = 0;
  int64_t to_step = 0;
  bool to_end = true;
  for (size_t j = 0; j < live_.size(); ++j) {
    if (finished(j)) continue;
    if (live_[j].running) {
      ++running;
    } else if (level(j) > wave) {
      live_[j].held = true;
      now[j].finished = true;  // not in this plan
      ++held;
    } else {
      ++in_wave;
      to_end = to_end && next_rung(j) == 0;
      to_step = std::max(to_step, next_rung(j) > 0 ? next_rung(j) : live_[j].rec.steps_total);
    }
  }
  if (in_wave == 0) return;  // every open job waits on a running one: nothing to plan yet
  PlanOptions po = o_.plan;
  if (versions_made_ > 0) {  // a decision's re-plan keeps the devices it frees waiting: at most 2% of the last wave's plan
    po.time_limit = std::clamp(0.02 * plan_.makespan, 0.05, std::max(0.05, o_.replan_time_limit));
    po.work_limit = 0;
  }
  Plan plan = plan_around_running(p_, now, po);
  std::string reason = "early stopping (" + std::string(early_stopping_rule_name(o_.early_stopping.rule)) + ", " + why + "): ";
  reason += std::to_string(in_wave) + (in_wave == 1 ? " job" : " jobs") +
              (to_end ? " to the end" : wave > 0 ? " to rung " + std::to_string(wave) : " to the first rung") + " (step " +
              std::to_string(to_step) + ")" + (held > 0 ? " before " + std::to_string(held) + " further along go on" : "");
  if (running > 0) reason += "; " + std::to_string(running) + " running stay where they are";
  if (plan.items.empty()) return;
  const double makespan = plan.makespan;
  if (versions_made_ == 0) predicted_ = makespan;
  adopt(std::move(plan), reason, makespan);
}

}  // namespace saturn::run_detail
