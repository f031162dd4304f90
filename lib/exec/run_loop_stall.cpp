// The runner's stall watchdog (runner.h): a worker group that stopped
// answering (a stopped process, a hung collective, a stuck file system) is
// stopped, then killed, and restarted from its checkpoint.
#include <algorithm>
#include <cmath>

#include "core/units.h"
#include "exec/run_loop.h"

namespace saturn::run_detail {

double RunLoop::stall_limit(size_t j) const {
  const Live& l = live_[j];
  // Its measured step time, else the plan's (a fused group's is the group's).
  double step = l.prog.step_time;
  if (!(step > 0) && l.option != kNone)
    step = p_.options[l.option].duration / double(std::max<int64_t>(1, l.rec.steps_total));
  return std::max(o_.stall_factor * (step > 0 ? step : 0), o_.stall_floor);
}

namespace {
std::string phase_text(const std::string& phase) {
  if (phase == "train") return "training";
  if (phase == "eval") return "evaluating";
  if (phase == "checkpoint") return "writing a checkpoint";
  if (phase == "start") return "starting (loading, first step)";
  return "no heartbeat yet";
}
}  // namespace

void RunLoop::check_stalls() {
  const double now = l_.now();
  for (size_t j = 0; j < live_.size(); ++j) {
    Live& l = live_[j];
    if (!l.running || l.lead != j) continue;
    if (!l.stall.empty()) {  // stopped for a stall and still there: kill it
      if (now >= l.kill_at) {
        l_.stop(l.rec.id, true);
        l.kill_at = INFINITY;
      }
      continue;
    }
    const JobProgress& p = l.prog;
    if (l.beat_seen < 0 && l.moved_seen.first < 0) l.beat_at = l.moved_at = l.started;  // a fresh attempt
    if (p.beat != l.beat_seen) {
      l.beat_seen = p.beat;
      l.beat_at = now;
    }
    if (std::make_pair(p.step, p.phase) != l.moved_seen) {
      l.moved_seen = {p.step, p.phase};
      l.moved_at = now;
    }
    const double limit = stall_limit(j);
    const double silent = now - l.beat_at, still = p.phase == "train" ? now - l.moved_at : 0;
    if (silent <= limit && still <= limit) continue;
    const std::string last = "step " + std::to_string(p.step) + ", " + phase_text(p.phase);
    l.stall = silent > limit ? "no heartbeat for " + human_duration(silent) + " (last: " + last + ")"
                             : "no step for " + human_duration(still) + " while training (last: " + last + ")";
    l.kill_at = now + o_.stall_grace;
    // Its whole group restarts: each job of it says why.
    for (size_t k = 0; k < live_.size(); ++k)
      if (live_[k].running && live_[k].lead == j && k != j) live_[k].stall = l.stall;
    event("stalled", l.rec.id, l.stall + ", over the limit of " + human_duration(limit) + "; stopping it (killed in " +
                                  human_duration(o_.stall_grace) + " if it does not exit) to restart it from its checkpoint");
    l_.stop(l.rec.id, false);
  }
}

}  // namespace saturn::run_detail
