// RunLoop: the runner's event loop (runner.h), shared by runner.cpp and
// run_loop_rungs.cpp (early stopping). Internal to saturn_exec.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/early_stopping.h"
#include "core/error.h"
#include "core/text.h"
#include "exec/dispatch.h"
#include "exec/replan.h"
#include "exec/runner.h"

namespace saturn::run_detail {

constexpr size_t kNone = static_cast<size_t>(-1);

inline double system_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

inline std::string ids_text(const std::vector<int64_t>& ids) {
  std::vector<std::string> s;
  for (int64_t d : ids) s.push_back(std::to_string(d));
  return join(s, ",");
}

class RunLoop {
 public:
  RunLoop(const RunInput& in, RunState& state, Launcher& launcher, const RunOptions& o)
      : in_(in), p_(in.problem), st_(state), l_(launcher), o_(o), book_(o.early_stopping) {
    if (in_.jobs.size() != p_.jobs.size()) throw internal_error("run_plan: jobs and problem disagree");
    live_.resize(p_.jobs.size());
  }

  RunSummary run();

 private:
  struct Live {
    JobRecord rec;
    bool running = false, stopping = false, preempting = false;
    int64_t attempt_id = 0, attempts = 0;
    size_t option = kNone;
    size_t lead = kNone;             // running: the job whose worker group it runs in (itself, or a fused group's first)
    std::vector<int64_t> devices;
    double started = 0;
    int64_t step_start = 0;
    int64_t stop_at = 0;             // running: the step its group pauses at (0: its end)
    bool held = false;               // early stopping: waits for a later wave
    JobProgress prog;
    // Stall watchdog (a group's lead): when its heartbeat count and its
    // (step, phase) last changed, on the launcher's clock.
    int64_t beat_seen = -1;
    double beat_at = 0;
    std::pair<int64_t, std::string> moved_seen{-1, ""};
    double moved_at = 0;
    std::string stall;               // non-empty: stalled, how (its group is being stopped)
    double kill_at = 0;              // stalled: when the kill follows the stop
    bool rate_seen = false;          // running: its first step rate of this attempt was learned from
  };

  double wall() const { return o_.wall_clock ? o_.wall_clock() : system_now(); }
  void event(const std::string& kind, const std::string& job, const std::string& message) {
    const double t = wall();
    st_.event(t, kind, job, message);
    if (o_.on_event) o_.on_event({0, t, kind, job, message});
  }
  void save(size_t j) { st_.put_job(live_[j].rec); }
  std::string strategy_text(size_t option, const std::vector<int64_t>& ids) const {
    const auto& opt = p_.options[option];
    return opt.label() + " on " + p_.nodes[opt.node].name + " [" + ids_text(ids) + "]";
  }
  // Open: may start now (a job early stopping holds back for a later wave is not).
  bool open(size_t j) const { return live_[j].rec.status == JobStatus::Pending && !live_[j].running && !live_[j].held; }
  bool finished(size_t j) const {
    const JobStatus s = live_[j].rec.status;
    return s == JobStatus::Done || s == JobStatus::Failed || s == JobStatus::Stopped;
  }
  // A plan item (an option: one job, or a fused group) is finished when all
  // its jobs are; it may start when none of them runs and some are open.
  bool item_finished(size_t option) const {
    return std::all_of(p_.options[option].jobs.begin(), p_.options[option].jobs.end(), [&](size_t j) { return finished(j); });
  }
  bool item_open(size_t option) const {
    const auto& js = p_.options[option].jobs;
    return std::none_of(js.begin(), js.end(), [&](size_t j) { return live_[j].running; }) &&
           std::any_of(js.begin(), js.end(), [&](size_t j) { return open(j); });
  }

  void load_or_init();
  void adopt(Plan plan, const std::string& reason, double makespan);
  std::vector<DispatchItem> dispatch_items(const std::vector<double>* durations) const;
  void dispatch();
  void launch(const Assignment& a);
  void on_exit(const LaunchEvent& e);
  void job_exit(size_t j, int code);
  void on_signal(int sig);
  void refresh_progress();
  void check_stalls();                          // run_loop_stall.cpp
  double stall_limit(size_t j) const;           // seconds group lead j may go without progress
  void replan(const std::string& why = "");  // why: a learned rate ("": the timer)
  void learn(size_t j);
  // The group of job j exited and its strategy does not fit: ban it, plan again. False: not that case.
  bool unfit_exit(size_t j, int code);
  void replan_unfit();
  bool resume_stored_plan(const std::vector<size_t>& unfinished);  // false: no stored plan covers them
  std::vector<JobNow> jobs_now() const;
  void first_plan();
  void event_loop();
  RunSummary summary();
  RunSnapshot snapshot() const;

  // Early stopping (run_loop_rungs.cpp).
  bool rungs_on() const { return o_.early_stopping.on(); }
  bool rungs_joint() const { return rungs_on() && o_.rung_replan; }
  int64_t next_rung(size_t j) const;           // the step of its next undecided rung (0: none left)
  int64_t rung_index(size_t j, int64_t step) const;  // its rung at `step` (-1: not a rung)
  void restore_rungs();                        // decisions from state.db; decides rungs reached but not decided
  bool settle(size_t j, int64_t step, std::optional<double> metric, const std::string& reason);
  bool rung_exit(size_t j, int code);          // true: the exit was a pause or a divergence, handled
  void replan_rungs(const std::string& why);   // the next wave to its rungs, around the running jobs
  void idle_devices(size_t j, int64_t step);   // fixed plan: job j stopped at `step` leaves its devices idle

  const RunInput& in_;
  PlanProblem p_;             // in_.problem; strategies found not to fit last 'banned' seconds
  RunState& st_;
  Launcher& l_;
  const RunOptions& o_;
  std::vector<Live> live_;
  Plan plan_;                 // the current plan, over p_'s options
  int64_t version_ = 0;
  double plan_made_ = 0;      // launcher clock when plan_ was adopted
  double predicted_ = 0;
  int64_t versions_made_ = 0;
  int stop_sig_ = 0;
  bool killed_ = false;
  bool bad_input_ = false;  // a job failed on input no restart can fix (exit 65 or 66): the run exits 65
  bool resumed_ = false;
  double t0_ = 0, first_launch_ = -1, last_exit_ = -1;
  std::map<std::pair<std::string, size_t>, double> ratios_;  // (shape, option) -> measured / planned step time
  std::string learned_;       // a first step rate off its plan's by more than learn_margin (what it was): re-plan now
  std::string unfit_;         // a strategy found not to fit (what it was): re-plan now
  static constexpr double kBanned = 1e12;  // the duration of an option found not to fit: never chosen
  RungBook book_;
  std::string rung_event_;    // a rung decision since the last re-plan (joint early stopping): what it was
  // Early stopping with a fixed plan: a stopped job's devices (node, id) sit
  // idle until the launcher-clock time its plan had it end, or the next
  // re-plan, as under a scheduler that does not plan on its decisions.
  // Also: a worker stopped by a signal from outside saturn keeps its devices
  // idle kOutsideStopGrace seconds before anything starts on them again.
  std::map<std::pair<size_t, int64_t>, double> idle_until_;
  static constexpr double kOutsideStopGrace = 3.0;
  double next_idle_end() const;  // the earliest future idle_until_ (INFINITY: none)
};


}  // namespace saturn::run_detail
