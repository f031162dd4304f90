// FakeLauncher: a Launcher on a simulated clock for the runner's unit tests.
// Each job trains at a true step time (which the plan may not know); it
// checkpoints every `checkpoint_every` steps and when asked to stop (at the
// next step). Failures are injected per (job, attempt) at a step; signals
// to the runner at a time. Checkpoints and results live in a JobDisk that
// outlives a launcher, so a second runner resumes from them. It records
// every launch and flags two running jobs on one device. A fused group runs
// at its first job's fused_step_time; its jobs share its progress and end.
// Stalls: a group frozen at a step (a stopped process: no heartbeat; a hung
// collective: a heartbeat, no step) ignores a graceful stop and ends only
// when killed; a long evaluation holds a step with the heartbeat on.
#pragma once

#include <cmath>
#include <csignal>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "exec/launcher.h"

namespace saturn::test {

struct JobDisk {
  std::map<std::string, int64_t> checkpoint;   // newest checkpoint step
  std::map<std::string, int64_t> finished;     // steps of a written result
  std::map<std::string, int64_t> diverged;     // the step its loss was not finite
  std::map<std::string, std::string> infeasible;  // its last attempt's strategy did not fit: why
};

struct FakeJob {
  double step_time = 1;        // true seconds per step on one device
  int64_t steps = 10;
  double multi_step_time = 0;  // on several devices (0 = step_time)
  double fused_step_time = 0;  // as a fused group's first job: seconds per step of the whole group
  std::function<double(int64_t)> metric;  // its training and validation loss at a step (none: 1 / step)
  int64_t diverge_at = 0;      // > 0: its loss is not finite at this step (the worker fails, exit 65)
  std::string unfit;           // a technique it does not fit: a group running it fails at its first step, out of memory
};

class FakeLauncher : public Launcher {
 public:
  struct Launch {
    LaunchSpec spec;
    double at = 0;
    int64_t from = 0;
  };
  struct Running {
    LaunchSpec spec;
    double start = 0;
    int64_t from = 0;
    double stop_at = INFINITY;  // when a stop request ends it
    int stop_code = 0;
    double fail_at = INFINITY;
    int64_t pause = 0;          // the step it pauses at (stop_at), else its steps
    double diverge_at = INFINITY;
    int64_t freeze_step = -1;   // >= 0: frozen from this step on
    bool freeze_beats = false;  //   with its heartbeat going on (a hung collective)
    int64_t eval_step = -1;     // >= 0: an evaluation of eval_len seconds after this step
    double eval_len = 0;
    bool unfit = false;         // out of memory at fail_at
    int fail_code = 1;          // the exit code at fail_at
  };

  FakeLauncher(std::map<std::string, FakeJob> jobs, JobDisk& disk) : jobs_(std::move(jobs)), disk_(disk) {}

  int64_t checkpoint_every = 10;
  std::map<std::pair<std::string, int64_t>, int64_t> fail_at_step;  // (job, attempt) -> dies at this step
  std::map<std::string, int> fail_code;                             // job -> its exit code there (default 1)
  std::map<std::string, std::string> words;                         // job -> the last line of its log
  // (job, attempt) -> (step, signal): stopped from outside at that step (checkpoints, exits 128 + signal)
  std::map<std::pair<std::string, int64_t>, std::pair<int64_t, int>> signalled_at_step;
  std::vector<std::pair<double, int>> signals;                        // (time, signal) to deliver
  // (job, attempt) -> (step, heartbeat on): the group stops answering there
  std::map<std::pair<std::string, int64_t>, std::pair<int64_t, bool>> freeze_at_step;
  std::map<std::string, std::pair<int64_t, double>> eval_at_step;     // job -> (step, seconds): a long evaluation
  std::vector<Launch> launches;
  bool overlap = false;                                               // two jobs ever shared a device
  int stop_signal = SIGTERM;  // what a graceful stop sends (the Slurm launcher: SIGUSR1 through srun)
  double now_ = 0;

  void start(const LaunchSpec& spec) override {
    for (const auto& [job, r] : running_)
      for (int64_t d : r.spec.device_ids)
        for (int64_t e : spec.device_ids)
          if (r.spec.node == spec.node && d == e) overlap = true;
    Running r;
    r.spec = spec;
    r.start = now_;
    r.from = disk_.checkpoint[spec.job];
    const FakeJob& fj = jobs_.at(spec.job);
    r.pause = spec.stop_at > 0 && spec.stop_at < fj.steps ? spec.stop_at : fj.steps;
    if (fj.diverge_at > r.from && fj.diverge_at <= r.pause) r.diverge_at = now_ + double(fj.diverge_at - r.from) * st(r);
    auto f = fail_at_step.find({spec.job, spec.attempt});
    if (f != fail_at_step.end()) r.fail_at = now_ + double(f->second - r.from) * st(r);
    if (auto c = fail_code.find(spec.job); c != fail_code.end()) r.fail_code = c->second;
    disk_.infeasible.erase(spec.job);  // as the real launcher: the last attempt's verdict goes
    for (const auto& j : spec.fused_with) disk_.infeasible.erase(j);
    if (!fj.unfit.empty() && fj.unfit == spec.technique) {
      r.unfit = true;
      r.fail_at = now_ + 0.5 * st(r);
    }
    auto sig = signalled_at_step.find({spec.job, spec.attempt});
    if (sig != signalled_at_step.end()) {
      r.stop_at = now_ + double(sig->second.first - r.from) * st(r);
      r.stop_code = 128 + sig->second.second;
    }
    if (auto e = eval_at_step.find(spec.job); e != eval_at_step.end() && e->second.first > r.from) {
      r.eval_step = e->second.first;
      r.eval_len = e->second.second;
    }
    if (auto f = freeze_at_step.find({spec.job, spec.attempt}); f != freeze_at_step.end()) {
      r.freeze_step = f->second.first;
      r.freeze_beats = f->second.second;
    }
    running_[spec.job] = r;
    launches.push_back({spec, now_, r.from});
  }
  void stop(const std::string& job, bool force) override {
    auto it = running_.find(job);
    if (it == running_.end()) return;
    if (force) {
      it->second.stop_at = now_;
      it->second.stop_code = 128 + SIGKILL;
    } else if (frozen(it->second, now_)) {
      return;  // it never reaches a step to stop at
    } else if (it->second.stop_at == INFINITY) {
      it->second.stop_at = now_ + st(it->second);  // the step in flight, then a checkpoint
      it->second.stop_code = 128 + stop_signal;
    }
  }
  std::vector<LaunchEvent> wait(double deadline) override {
    // The next thing that happens: a job ends (done, failed, stopped) or a signal.
    double next = deadline;
    for (const auto& [job, r] : running_) next = std::min(next, end_of(r));
    for (const auto& s : signals) next = std::min(next, s.first);
    now_ = std::max(now_, next);
    std::vector<LaunchEvent> out;
    for (auto it = signals.begin(); it != signals.end();) {
      if (it->first <= now_) {
        out.push_back({LaunchEvent::Signal, "", 0, it->second});
        it = signals.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = running_.begin(); it != running_.end();) {
      const Running& r = it->second;
      if (end_of(r) > now_) {
        ++it;
        continue;
      }
      const FakeJob& fj = jobs_.at(it->first);
      const int64_t step = step_at(r, now_);
      int code = 0;
      std::vector<std::string> group = r.spec.fused_with;
      group.push_back(it->first);
      for (const auto& job : group) {
        if (r.diverge_at <= now_ && r.diverge_at <= std::min(r.stop_at, r.fail_at)) {
          code = 65;
          disk_.diverged[job] = fj.diverge_at;
          disk_.checkpoint[job] = (fj.diverge_at - 1) / checkpoint_every * checkpoint_every;
          disk_.checkpoint[job] = std::max(disk_.checkpoint[job], r.from);
        } else if (r.fail_at <= now_ && r.fail_at <= r.stop_at) {
          code = r.unfit ? 70 : r.fail_code;
          if (r.unfit) disk_.infeasible[job] = "out of memory: tried to allocate 2.00 GiB";
          disk_.checkpoint[job] = std::max(r.from, step / checkpoint_every * checkpoint_every);
        } else if (r.stop_at <= now_ && step < fj.steps) {
          code = r.stop_code;
          disk_.checkpoint[job] = code == 128 + SIGKILL ? step / checkpoint_every * checkpoint_every : step;
        } else if (r.pause < fj.steps) {
          disk_.checkpoint[job] = r.pause;  // paused at a rung: a checkpoint there, exit 0
        } else {
          disk_.checkpoint[job] = fj.steps;
          disk_.finished[job] = fj.steps;
        }
      }
      out.push_back({LaunchEvent::Exit, it->first, code, 0});
      it = running_.erase(it);
    }
    return out;
  }
  double now() const override { return now_; }
  std::string last_words(const std::string& job) const override {
    auto w = words.find(job);
    return w == words.end() ? "" : w->second;
  }
  int64_t pid(const std::string& job) const override { return running_.count(job) ? 4242 : 0; }
  JobProgress progress(const std::string& job, int64_t) override {
    JobProgress p;
    p.checkpoint = disk_.checkpoint[job];
    if (auto d = disk_.diverged.find(job); d != disk_.diverged.end()) p.diverged = d->second;
    if (auto u = disk_.infeasible.find(job); u != disk_.infeasible.end()) p.infeasible = u->second;
    auto it = running_.find(job);
    for (auto g = running_.begin(); g != running_.end() && it == running_.end(); ++g)
      for (const auto& other : g->second.spec.fused_with)
        if (other == job) it = g;  // a fused group's job progresses with the group
    if (it == running_.end()) {
      p.step = p.checkpoint;
      return p;
    }
    const Running& r = it->second;
    p.step = step_at(r, now_);
    if (p.step > r.from) p.step_time = st(r);
    if (r.spec.job == job) {  // the group's heartbeat, in its first job's folder
      const bool silent = frozen(r, now_) && !r.freeze_beats;
      p.beat = static_cast<int64_t>(std::floor(((silent ? time_of(r, r.freeze_step) : now_) - r.start) * 2));
      p.phase = p.step == r.from                                                        ? "start"
                : r.eval_step == p.step && now_ < time_of(r, r.eval_step) + r.eval_len ? "eval"
                                                                                        : "train";
    }
    return p;
  }
  std::optional<StepMetrics> checkpoint_metrics(const std::string& job, int64_t step) override {
    if (disk_.checkpoint[job] != step || step <= 0) return std::nullopt;  // only the newest is kept here
    const FakeJob& fj = jobs_.at(job);
    const double m = fj.metric ? fj.metric(step) : 1.0 / double(step);
    return StepMetrics{m, m};
  }
  // Worker groups an earlier runner left running (by pid); ending one runs on_orphan.
  std::set<int64_t> orphans;
  std::function<void(int64_t)> on_orphan;
  std::vector<int64_t> ended_orphans;
  bool end_orphan(int64_t pid, double) override {
    if (!orphans.count(pid)) return false;
    orphans.erase(pid);
    ended_orphans.push_back(pid);
    if (on_orphan) on_orphan(pid);
    return true;
  }
  std::optional<JobResult> result(const std::string& job) override {
    auto it = disk_.finished.find(job);
    if (it == disk_.finished.end()) return std::nullopt;
    JobResult r;
    r.steps = it->second;
    r.final_loss = 1.0 / double(job.size());
    r.eval_loss = NAN;
    return r;
  }

 private:
  // When it reaches `step` (a long evaluation after eval_step delays the later ones).
  double time_of(const Running& r, int64_t step) const {
    return r.start + double(step - r.from) * st(r) + (r.eval_step >= 0 && step > r.eval_step ? r.eval_len : 0);
  }
  bool frozen(const Running& r, double t) const { return r.freeze_step >= 0 && t >= time_of(r, r.freeze_step); }
  double end_of(const Running& r) const {
    const double natural = r.freeze_step >= 0 && r.freeze_step < r.pause ? INFINITY : time_of(r, r.pause);
    return std::min({natural, r.stop_at, r.fail_at, r.diverge_at});
  }
  int64_t step_at(const Running& r, double t) const {
    if (frozen(r, t)) return r.freeze_step;
    double run = t - r.start;
    if (r.eval_step >= 0 && t >= time_of(r, r.eval_step)) run = std::max(run - r.eval_len, double(r.eval_step - r.from) * st(r));
    return std::min(r.pause, r.from + static_cast<int64_t>(std::floor(run / st(r) + 1e-9)));
  }
  double st(const Running& r) const {
    const FakeJob& fj = jobs_.at(r.spec.job);
    if (!r.spec.fused_with.empty() && fj.fused_step_time > 0) return fj.fused_step_time;
    return r.spec.device_ids.size() > 1 && fj.multi_step_time > 0 ? fj.multi_step_time : fj.step_time;
  }
  std::map<std::string, FakeJob> jobs_;
  JobDisk& disk_;
  std::map<std::string, Running> running_;
};

}  // namespace saturn::test
