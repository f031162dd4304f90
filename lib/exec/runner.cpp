#include "exec/runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <map>

#include "core/error.h"
#include "core/text.h"
#include "core/units.h"
#include "exec/dispatch.h"
#include "exec/replan.h"
#include "exec/run_loop.h"
#include "plan/plan_json.h"

namespace saturn {
namespace run_detail {

void RunLoop::load_or_init() {
  // Workers a killed runner left behind finish first: two groups never share a job's folder.
  std::map<int64_t, bool> orphans;  // attempt id -> its workers were still there
  for (const auto& a : st_.attempts())
    if (std::isnan(a.ended) && a.pid > 0) orphans[a.id] = l_.end_orphan(a.pid, std::max(30.0, o_.stall_grace));
  const auto stored = st_.jobs();
  std::map<std::string, JobRecord> by_id;
  for (const auto& r : stored) by_id[r.id] = r;
  resumed_ = !stored.empty();
  for (size_t j = 0; j < p_.jobs.size(); ++j) {
    Live& l = live_[j];
    auto it = by_id.find(p_.jobs[j]);
    if (it != by_id.end()) l.rec = it->second;
    else l.rec.id = p_.jobs[j];
    l.rec.steps_total = in_.jobs[j].steps;
    if (l.rec.status != JobStatus::Done && l.rec.status != JobStatus::Stopped) {
      // A job the last runner saw finish but could not record.
      if (auto r = l_.result(l.rec.id); r && r->steps >= l.rec.steps_total) {
        l.rec.status = JobStatus::Done;
        l.rec.steps_done = r->steps;
        l.rec.final_loss = r->final_loss;
        l.rec.eval_loss = r->eval_loss;
        l.rec.tokens = r->tokens;
      } else {
        l.rec.status = JobStatus::Pending;
        l.rec.restarts = 0;
        l.rec.message.clear();
        l.prog = l_.progress(l.rec.id, 0);
        l.rec.steps_done = l.prog.checkpoint;
      }
    }
    l.attempts = static_cast<int64_t>(st_.attempts(l.rec.id).size());
    save(j);
  }
  for (const auto& a : st_.attempts())
    if (std::isnan(a.ended)) {
      st_.end_attempt(a.id, wall(), -1, "lost", -1);
      event("lost", a.job, "attempt " + std::to_string(a.number) + " was running when the last runner ended" +
                               (orphans[a.id] ? "; its workers (pid " + std::to_string(a.pid) + ") were still there: stopped them" : ""));
    }
  restore_rungs();
}

std::vector<DispatchItem> RunLoop::dispatch_items(const std::vector<double>* durations) const {
  std::vector<DispatchItem> items;
  for (size_t i = 0; i < plan_.items.size(); ++i) {
    const auto& a = plan_.items[i];
    const auto& opt = p_.options[a.option];
    DispatchItem d;
    d.node = opt.node;
    d.device_ids = a.device_ids;
    d.duration = durations ? (*durations)[i] : a.end - a.start;
    for (size_t j : opt.jobs)
      if (live_[j].running) {
        d.running = true;
        d.device_ids = live_[j].devices;
      }
    items.push_back(std::move(d));
  }
  return items;
}

void RunLoop::adopt(Plan plan, const std::string& reason, double makespan) {
  plan_ = std::move(plan);
  plan_made_ = l_.now();
  PlanRecord rec;
  rec.created = wall();
  rec.makespan = makespan;
  rec.reason = reason;
  rec.json = o_.plan_doc ? o_.plan_doc(plan_) : plan_json(p_, plan_).dump(2);
  version_ = st_.add_plan(rec);
  ++versions_made_;
  st_.set_meta("plan_version", std::to_string(version_));
  event("plan", "", "plan v" + std::to_string(version_) + " (" + reason + "): " + count_text(static_cast<int64_t>(planned_jobs(plan_, p_)), "job", "jobs") +
                        ", makespan " + human_duration(makespan) + " (" + plan_.method + ")");
}

void RunLoop::launch(const Assignment& a) {
  // The item's open jobs run as one worker group (a fused group, or one job).
  std::vector<size_t> members;
  for (size_t j : p_.options[a.option].jobs)
    if (open(j)) members.push_back(j);
  const size_t lead = members.front();
  LaunchSpec spec;
  spec.job = live_[lead].rec.id;
  for (size_t k = 1; k < members.size(); ++k) spec.fused_with.push_back(live_[members[k]].rec.id);
  spec.attempt = live_[lead].attempts + 1;
  spec.technique = p_.options[a.option].technique;
  spec.knobs = p_.options[a.option].knobs;
  spec.node = p_.nodes[p_.options[a.option].node].name;
  spec.device_ids = a.device_ids;
  if (rungs_on())  // the group pauses at the first of its jobs' next rungs
    for (size_t j : members)
      if (const int64_t r = next_rung(j); r > 0 && (spec.stop_at == 0 || r < spec.stop_at)) spec.stop_at = r;
  // A fused group names its other jobs (up to two; else how many).
  const std::string strategy =
      strategy_text(a.option, a.device_ids) +
      (members.size() == 1     ? ""
       : members.size() <= 3   ? " with " + join(spec.fused_with, ", ")
                               : " with " + count_text(static_cast<int64_t>(members.size() - 1), "other job", "other jobs"));
  std::string error;
  try {
    l_.start(spec);
  } catch (const Error& e) {
    error = std::string("cannot launch: ") + e.what();
  }
  for (size_t j : members) {
    Live& l = live_[j];
    l.prog = l_.progress(l.rec.id, -1);
    const int64_t from = l.prog.checkpoint;
    AttemptRecord ar;
    ar.job = l.rec.id;
    ar.number = l.attempts + 1;
    ar.plan_version = version_;
    ar.technique = spec.technique;
    ar.devices = static_cast<int64_t>(a.device_ids.size());
    ar.node = spec.node;
    ar.device_ids = ids_text(a.device_ids);
    ar.started = wall();
    ar.step_start = from;
    l.attempts = ar.number;
    l.rec.strategy = strategy;
    if (!error.empty()) {
      ar.pid = 0;
      l.attempt_id = st_.begin_attempt(ar);
      st_.end_attempt(l.attempt_id, wall(), -1, "failed", from);
      l.rec.status = JobStatus::Failed;
      l.rec.message = error;
      save(j);
      event("failed", l.rec.id, l.rec.message);
      continue;
    }
    ar.pid = l_.pid(spec.job);
    l.attempt_id = st_.begin_attempt(ar);
    l.running = true;
    l.stopping = l.preempting = false;
    l.option = a.option;
    l.lead = lead;
    l.devices = a.device_ids;
    l.started = l_.now();
    l.step_start = from;
    l.stop_at = spec.stop_at;
    l.prog = l_.progress(l.rec.id, from);
    l.beat_seen = -1;
    l.rate_seen = false;
    l.moved_seen = {-1, ""};
    l.stall.clear();
    l.rec.status = JobStatus::Running;
    save(j);
    if (first_launch_ < 0) first_launch_ = l.started;
    event("start", l.rec.id,
          "attempt " + std::to_string(ar.number) + ": " + strategy + (from > 0 ? ", from step " + std::to_string(from) : "") +
              (spec.stop_at > 0 ? ", to step " + std::to_string(spec.stop_at) : ""));
  }
}

void RunLoop::dispatch() {
  if (stop_sig_) return;
  const auto items = dispatch_items(nullptr);
  std::vector<bool> started(items.size());
  for (size_t i = 0; i < items.size(); ++i) started[i] = !item_open(plan_.items[i].option);
  const double now = l_.now();
  auto busy = [&](size_t node, int64_t d) {
    if (auto it = idle_until_.find({node, d}); it != idle_until_.end() && it->second > now) return true;
    for (const auto& l : live_)
      if (l.running && p_.options[l.option].node == node && std::find(l.devices.begin(), l.devices.end(), d) != l.devices.end())
        return true;
    return false;
  };
  for (size_t i = 0; i < items.size(); ++i) {
    if (started[i] || !may_start(items, started, i, busy)) continue;
    launch(plan_.items[i]);
    started[i] = true;
  }
}

void RunLoop::on_exit(const LaunchEvent& e) {
  size_t lead = kNone;
  for (size_t k = 0; k < live_.size(); ++k)
    if (live_[k].rec.id == e.job && live_[k].running) lead = k;
  if (lead == kNone) return;
  // Every job of the worker group ends with it (a fused group: each in its own folder).
  for (size_t j = 0; j < live_.size(); ++j)
    if (live_[j].running && live_[j].lead == lead && j != lead) job_exit(j, e.code);
  job_exit(lead, e.code);
}

void RunLoop::job_exit(size_t j, int code) {
  const LaunchEvent e{LaunchEvent::Exit, live_[j].rec.id, code, 0};
  Live& l = live_[j];
  l.running = false;
  const double now = l_.now();
  last_exit_ = now;
  l.rec.wall_s += now - l.started;
  l.prog = l_.progress(l.rec.id, l.step_start);
  const int64_t step = l.prog.step;
  if (unfit_exit(j, e.code)) return;
  learn(j);  // a group that ended between two progress reads still reports its rate
  if (rung_exit(j, e.code)) return;
  if (e.code == 0) {
    if (auto r = l_.result(l.rec.id); r && r->steps >= l.rec.steps_total) {
      l.rec.status = JobStatus::Done;
      l.rec.steps_done = r->steps;
      l.rec.final_loss = r->final_loss;
      l.rec.eval_loss = r->eval_loss;
      l.rec.tokens = r->tokens;
      st_.end_attempt(l.attempt_id, wall(), 0, "done", r->steps);
      save(j);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.4g", std::isnan(r->eval_loss) ? r->final_loss : r->eval_loss);
      event("done", l.rec.id, std::string(std::isnan(r->eval_loss) ? "loss " : "validation loss ") + buf + " after " +
                                  human_duration(l.rec.wall_s));
      return;
    }
  }
  // A stalled group stopped by the watchdog failed, whatever its exit.
  const bool signalled = l.stall.empty() && (e.code == 128 + SIGTERM || e.code == 128 + SIGINT || e.code == 128 + SIGUSR1);
  const bool clean_stop = l.stall.empty() && l.stopping && (signalled || (killed_ && e.code == 128 + SIGKILL));
  l.rec.steps_done = std::max(l.prog.checkpoint, int64_t(0));
  if (clean_stop) {
    const char* outcome = l.preempting ? "preempted" : "stopped";
    st_.end_attempt(l.attempt_id, wall(), e.code, outcome, l.prog.checkpoint);
    l.rec.status = JobStatus::Pending;
    save(j);
    event(outcome, l.rec.id, std::string(l.preempting ? "moved by the new plan" : "checkpointed") + " at step " +
                                 std::to_string(l.prog.checkpoint));
    l.stopping = l.preempting = false;
    return;
  }
  if (signalled && !l.stopping && !stop_sig_ && l.prog.checkpoint > l.step_start) {
    // Stopped from outside saturn (Slurm's preemption or --signal sent to the
    // steps, an operator's kill): the worker checkpointed, so it starts again
    // from there without spending a restart, since it got further.
    // Its devices wait a moment first: what signals the steps (scancel,
    // preemption) often signals saturn itself a moment later, and then
    // nothing should start again.
    st_.end_attempt(l.attempt_id, wall(), e.code, "stopped", l.prog.checkpoint);
    l.rec.status = JobStatus::Pending;
    save(j);
    if (l.option != kNone)
      for (int64_t d : l.devices) {
        double& u = idle_until_[{p_.options[l.option].node, d}];
        u = std::max(u, l_.now() + kOutsideStopGrace);
      }
    event("stopped", l.rec.id, "signal " + std::to_string(e.code - 128) + " from outside saturn; checkpointed at step " +
                                   std::to_string(l.prog.checkpoint) + ", starting again");
    return;
  }
  if (l.stall.empty() && !l.stopping && !stop_sig_ &&
      (e.code == static_cast<int>(ErrorKind::Data) || e.code == static_cast<int>(ErrorKind::NoInput))) {
    // Bad input (a damaged weight file, data without one sequence): running
    // it again cannot succeed, so no restart is spent on it.
    const std::string said = l_.last_words(l.rec.id);
    st_.end_attempt(l.attempt_id, wall(), e.code, "failed", step);
    l.rec.status = JobStatus::Failed;
    l.rec.message = "bad input (exit " + std::to_string(e.code) + ")" + (said.empty() ? "" : ": " + said);
    save(j);
    event("failed", l.rec.id, l.rec.message + "; not restarted: it would fail again");
    bad_input_ = true;
    return;
  }
  std::string why = !l.stall.empty() ? "stalled: " + l.stall
                    : e.code == 0      ? "exited without finishing its steps"
                                       : "exit code " + std::to_string(e.code);
  st_.end_attempt(l.attempt_id, wall(), e.code, "failed", step);
  if (stop_sig_) {  // the runner is stopping anyway: nothing to restart
    l.rec.status = JobStatus::Pending;
    save(j);
    event("stopped", l.rec.id, why);
    return;
  }
  if (l.rec.restarts < o_.max_restarts) {
    ++l.rec.restarts;
    l.rec.status = JobStatus::Pending;
    save(j);
    event("restart", l.rec.id, why + "; restart " + std::to_string(l.rec.restarts) + " of " +
                                   std::to_string(o_.max_restarts) + " from step " + std::to_string(l.prog.checkpoint));
  } else {
    l.rec.status = JobStatus::Failed;
    l.rec.message = why + (o_.max_restarts > 0 ? " (after " + std::to_string(l.rec.restarts) + " restarts)" : "");
    save(j);
    event("failed", l.rec.id, l.rec.message);
  }
}

void RunLoop::on_signal(int sig) {
  if (sig != SIGINT && sig != SIGTERM && sig != SIGUSR1) return;
  if (!stop_sig_) {
    stop_sig_ = sig;
    event("stop", "", std::string(sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGUSR1 (time limit near)") +
                          ": every running job checkpoints and stops (SIGINT again stops at once)");
    for (size_t j = 0; j < live_.size(); ++j)
      if (live_[j].running) {
        live_[j].stopping = true;
        if (live_[j].lead == j) l_.stop(live_[j].rec.id, false);
      }
  } else if (sig == SIGINT && !killed_) {
    killed_ = true;
    event("kill", "", "second SIGINT: stopping every job now (each resumes from its last checkpoint)");
    for (size_t j = 0; j < live_.size(); ++j)
      if (live_[j].running && live_[j].lead == j) l_.stop(live_[j].rec.id, true);
  }
}

void RunLoop::refresh_progress() {
  for (size_t j = 0; j < live_.size(); ++j) {
    Live& l = live_[j];
    if (!l.running) continue;
    l.prog = l_.progress(l.rec.id, l.step_start);
    if (l.prog.step != l.rec.steps_done) {
      l.rec.steps_done = l.prog.step;
      save(j);
    }
    learn(j);
  }
}

RunSnapshot RunLoop::snapshot() const {
  RunSnapshot s;
  s.elapsed = l_.now() - t0_;
  s.plan_version = version_;
  for (const auto& l : live_)
    s.jobs.push_back({l.rec.id, l.rec.status, l.rec.steps_done, l.rec.steps_total, l.running ? l.rec.strategy : "",
                      l.running && l.prog.step > 0 ? l.prog.loss : NAN, l.running ? l.prog.step_time : 0});
  // ETA: the current plan re-timed with what is left of each job.
  std::vector<double> d;
  for (const auto& a : plan_.items) {
    const size_t j = p_.options[a.option].jobs[0];
    const Live& l = live_[j];
    const double full = p_.options[a.option].duration;
    const double frac = l.rec.steps_total > 0 ? std::max(0.0, 1.0 - double(l.rec.steps_done) / double(l.rec.steps_total)) : 1;
    double left = full * frac;
    if (l.running && l.prog.step_time > 0) left = double(l.rec.steps_total - l.rec.steps_done) * l.prog.step_time;
    d.push_back(item_finished(a.option) ? 0 : left);
  }
  s.eta = simulate_dispatch(dispatch_items(&d));
  return s;
}

// Where every job stands, for planning what is left.
std::vector<JobNow> RunLoop::jobs_now() const {
  std::vector<JobNow> now(live_.size());
  for (size_t j = 0; j < live_.size(); ++j) {
    const Live& l = live_[j];
    JobNow& n = now[j];
    n.finished = finished(j);
    n.running = l.running;
    const int64_t from = l.running ? l.prog.step : l.prog.checkpoint;
    // Jointly planned early stopping plans each job to its next rung.
    int64_t to = l.rec.steps_total;
    if (rungs_joint()) to = l.running ? (l.stop_at > 0 ? l.stop_at : to) : (next_rung(j) > 0 ? next_rung(j) : to);
    n.left = std::max(0.0, double(to - from) / double(std::max<int64_t>(1, l.rec.steps_total)));
    std::vector<double> mine;  // the shape's factors: their median
    for (const auto& [key, ratio] : ratios_)
      if (key.first == in_.jobs[j].shape) mine.push_back(ratio);
    std::sort(mine.begin(), mine.end());
    if (!mine.empty()) n.factor = mine[mine.size() / 2];
    if (l.running) {
      n.option = l.option;
      n.device_ids = l.devices;
      if (l.prog.step_time > 0) n.remaining_s = std::max(0.0, double(to - l.prog.step) * l.prog.step_time);
    }
  }
  return now;
}

void RunLoop::replan(const std::string& why) {
  idle_until_.clear();  // a re-plan looks at every device again
  // Measured / planned step time of each running job, by shape and strategy.
  for (size_t j = 0; j < live_.size(); ++j) {
    const Live& l = live_[j];
    if (!l.running || l.prog.step_time <= 0) continue;
    const double planned = p_.options[l.option].duration / double(std::max<int64_t>(1, l.rec.steps_total));
    ratios_[{in_.jobs[j].shape, l.option}] = l.prog.step_time / planned;
  }
  const std::vector<JobNow> now = jobs_now();
  ReplanOptions ro;
  ro.threshold = o_.threshold;
  ro.restart_cost = o_.restart_cost;
  ro.plan = o_.plan;
  ro.plan.time_limit = o_.replan_time_limit;
  ro.plan.work_limit = 0;  // a re-plan mid-run waits for no one: bounded by time
  if (!why.empty()) {  // learned: the gain it takes is relative to what is left
    std::vector<double> d;
    for (const auto& a : plan_.items) d.push_back(a.end - a.start);
    const double left = std::max(0.0, simulate_dispatch(dispatch_items(&d)) - (l_.now() - plan_made_));
    ro.threshold = std::min(o_.threshold, o_.learn_margin * left);
    // The loop waits for the solver: a learned re-plan takes at most 0.5% of what is left.
    ro.plan.time_limit = std::clamp(0.005 * left, 0.02, std::max(0.02, o_.replan_time_limit));
  }
  Replan r = saturn::replan(p_, plan_, now, ro);
  if (!r.adopt) {
    event("replan", "", (why.empty() ? "" : "learned " + why + ": ") + "kept plan v" + std::to_string(version_) +
                            ": a new plan would end in " + human_duration(r.proposed) + " against " +
                            human_duration(r.current) + " (gain below the threshold " + human_duration(ro.threshold) + ")");
    return;
  }
  const double makespan = r.plan.makespan;
  adopt(std::move(r.plan), (why.empty() ? "introspection: " : "learned " + why + ": ") +
                               human_duration(r.current - makespan) + " sooner than plan v" + std::to_string(version_) +
                               " re-timed (" + human_duration(r.current) + ")",
        makespan);
  for (size_t j : r.moved) {
    Live& l = live_[j];
    if (!l.running) continue;
    l.stopping = l.preempting = true;
    l_.stop(l.rec.id, false);
    event("preempt", l.rec.id, "checkpoint and move: " + l.rec.strategy + " -> new plan");
  }
}

// The stored plan on resume (every job keeps its strategy), when it fits
// this cluster and covers every unfinished job.
bool RunLoop::resume_stored_plan(const std::vector<size_t>& unfinished) {
  auto stored = st_.latest_plan();
  if (!stored) return false;
  auto doc = nlohmann::json::parse(stored->json, nullptr, false);
  // A plan for other nodes (a requeued Slurm job can land elsewhere) is
  // not kept: what is left is planned again on this cluster.
  Plan old;
  std::string misfit;
  try {
    old = plan_from_json(doc, p_);
    misfit = device_misfit(old, p_);
  } catch (const Error& e) {
    misfit = e.what();
  }
  if (!misfit.empty()) {
    event("replan", "", "the stored plan v" + std::to_string(stored->version) + " does not fit this cluster (" +
                            misfit + "): planning the remaining jobs again");
    old.items.clear();
  }
  std::vector<bool> covered(p_.jobs.size(), false);
  Plan kept;
  for (const auto& a : old.items) {
    if (item_finished(a.option)) continue;
    for (size_t j : p_.options[a.option].jobs) covered[j] = true;
    Assignment b = a;
    b.pinned = false;
    kept.items.push_back(b);
  }
  if (!std::all_of(unfinished.begin(), unfinished.end(), [&](size_t j) { return covered[j]; })) return false;
  kept.method = old.method;
  kept.stop = old.stop;
  kept.bound = 0;
  plan_ = std::move(kept);
  version_ = stored->version;
  plan_made_ = l_.now();
  std::vector<double> d;
  for (const auto& a : plan_.items) {
    const size_t j = p_.options[a.option].jobs[0];
    const Live& l = live_[j];
    d.push_back(p_.options[a.option].duration *
                std::max(0.0, 1.0 - double(l.rec.steps_done) / double(std::max<int64_t>(1, l.rec.steps_total))));
  }
  predicted_ = simulate_dispatch(dispatch_items(&d));
  size_t done = live_.size() - unfinished.size();
  event("resume", "", "resuming plan v" + std::to_string(version_) + ": " + std::to_string(done) + " of " +
                          count_text(static_cast<int64_t>(live_.size()), "job", "jobs") + " done, " + std::to_string(unfinished.size()) +
                          " to go (" + human_duration(predicted_) + " predicted)");
  return true;
}

// The given plan, or a solved one (also for a resumed run without a usable plan).
void RunLoop::first_plan() {
  // A resumed run without a usable plan plans what is left.
  Plan kept = resumed_ ? plan_remaining(p_, jobs_now(), o_.plan) : o_.initial ? *o_.initial : solve_plan(p_, o_.plan);
  std::erase_if(kept.items, [&](const Assignment& a) { return item_finished(a.option); });
  finish_plan(kept, p_);
  predicted_ = kept.makespan;
  adopt(std::move(kept), !resumed_ ? o_.initial_reason : o_.keep_stored_plan ? "resume" : "resume: the workload was edited",
        predicted_);
}

void RunLoop::event_loop() {
  // Jointly planned early stopping re-plans on its decisions, not on a timer.
  double next_tick = l_.now(), next_replan = o_.interval > 0 && !rungs_joint() ? l_.now() + o_.interval : INFINITY;
  for (;;) {
    dispatch();
    bool any_running = false, any_open = false, any_held = false;
    for (size_t j = 0; j < live_.size(); ++j) {
      any_running |= live_[j].running;
      any_open |= open(j);
      any_held |= live_[j].held && !finished(j) && !live_[j].running;
    }
    if (!any_running && !any_open && any_held && !stop_sig_) {
      replan_rungs("the last wave ended");
      continue;
    }
    if (!any_running && (stop_sig_ || !any_open)) break;
    const double idle_end = next_idle_end();
    if (!any_running && any_open && idle_end == INFINITY) {
      // Nothing runs yet nothing can start: only a bug in the plan could do this.
      throw internal_error("run_plan: jobs wait but no device will free up");
    }
    const double deadline = std::min({next_tick, stop_sig_ ? INFINITY : next_replan, idle_end});
    for (const auto& e : l_.wait(deadline)) {
      if (e.kind == LaunchEvent::Signal) on_signal(e.signal);
      else on_exit(e);
    }
    if (!unfit_.empty() && !stop_sig_) replan_unfit();
    if (rungs_joint() && !rung_event_.empty() && !stop_sig_) {
      replan_rungs(rung_event_);
      rung_event_.clear();
    }
    const double now = l_.now();
    if (now >= next_tick) {
      refresh_progress();
      check_stalls();
      if (o_.on_tick) o_.on_tick(snapshot());
      next_tick = now + o_.tick;
    }
    if (!stop_sig_ && now >= next_replan) {
      refresh_progress();
      learned_.clear();
      replan();
      next_replan = l_.now() + o_.interval;
    }
    if (!stop_sig_ && !learned_.empty()) {
      const std::string why = learned_;
      learned_.clear();
      // Only a job yet to start can gain without a restart; with none, nothing to re-plan.
      bool waiting = false;
      for (size_t j = 0; j < live_.size(); ++j) waiting |= open(j);
      if (waiting) replan(why);
    }
  }
}

RunSummary RunLoop::summary() {
  RunSummary s;
  for (const auto& l : live_) {
    if (l.rec.status == JobStatus::Done) ++s.done;
    else if (l.rec.status == JobStatus::Failed) ++s.failed;
    else if (l.rec.status == JobStatus::Stopped) ++s.stopped;
    else ++s.pending;
  }
  s.elapsed = first_launch_ >= 0 && last_exit_ >= 0 ? last_exit_ - first_launch_ : 0;
  s.predicted = predicted_;
  s.plan_versions = versions_made_;
  s.resumed = resumed_;
  s.exit_code = stop_sig_        ? 128 + stop_sig_
                : bad_input_     ? static_cast<int>(ErrorKind::Data)
                : s.failed > 0   ? static_cast<int>(ErrorKind::TempFail)
                                 : 0;
  if (o_.on_tick) o_.on_tick(snapshot());
  event("end", "", std::to_string(s.done) + " done, " + (s.stopped > 0 ? std::to_string(s.stopped) + " stopped early, " : "") +
                       std::to_string(s.failed) + " failed, " + std::to_string(s.pending) + " not finished");
  return s;
}

RunSummary RunLoop::run() {
  t0_ = l_.now();
  load_or_init();
  std::vector<size_t> unfinished;
  for (size_t j = 0; j < live_.size(); ++j)
    if (!finished(j)) unfinished.push_back(j);
  if (rungs_joint()) {
    if (!unfinished.empty()) replan_rungs(resumed_ ? "resume" : "start");
  } else {
    const bool have = resumed_ && o_.keep_stored_plan && resume_stored_plan(unfinished);
    if (!have && !unfinished.empty()) first_plan();
  }
  event_loop();
  return summary();
}

}  // namespace run_detail

RunSummary run_plan(const RunInput& in, RunState& state, Launcher& launcher, const RunOptions& o) {
  run_detail::RunLoop loop(in, state, launcher, o);
  return loop.run();
}

}  // namespace saturn
