#include "profile/trial_outcome.h"

#include <algorithm>

#include "core/error.h"

namespace saturn {

TrialVerdict classify_trial(int exit_code, const std::string& run_dir, int64_t ranks, const std::string& last_log_line,
                            std::vector<run_files::Trial>* results) {
  std::string bad;  // the first malformed rank file's line
  results->clear();
  for (int64_t r = 0; r < ranks; ++r) {
    try {
      if (auto t = run_files::read_trial(run_dir, static_cast<int>(r))) results->push_back(*t);
    } catch (const Error& e) {
      if (bad.empty()) bad = e.what();
    }
  }
  auto oom = std::find_if(results->begin(), results->end(), [](const run_files::Trial& t) { return !t.feasible; });
  if (oom != results->end()) return {TrialOutcome::OutOfMemory, oom->reason};
  if (exit_code == 0 && bad.empty() && !results->empty()) return {TrialOutcome::Measured, ""};
  if (exit_code == 69) return {TrialOutcome::Unavailable, last_log_line};
  if (exit_code == 65 || exit_code == 66)
    return {TrialOutcome::BadInput,
            last_log_line.empty() ? "worker exited " + std::to_string(exit_code) + " (bad input)" : last_log_line};
  if (exit_code != 0) return {TrialOutcome::Failed, "worker exited " + std::to_string(exit_code) + ": " + last_log_line};
  return {TrialOutcome::Failed, !bad.empty() ? bad : "worker exited 0 without a trial file"};
}

void record_trial(const TrialVerdict& v, const std::vector<run_files::Trial>& results, double wall_s, ProfileEntry& e) {
  if (v.outcome == TrialOutcome::OutOfMemory) {
    e.feasible = false;
    e.reason = v.why;
    return;
  }
  if (v.outcome != TrialOutcome::Measured || results.empty()) return;
  const run_files::Trial& lead = results.front();
  e.step_time = lead.step_time;
  e.spread = lead.spread;
  e.timed_steps = lead.timed_steps;
  for (const auto& r : results) {
    e.peak_memory = std::max(e.peak_memory, r.peak_memory);
    e.startup = std::max(e.startup, r.startup_s);
  }
  if (lead.steps > 0) e.startup = std::max(e.startup, wall_s - static_cast<double>(lead.steps) * lead.step_time);
}

}  // namespace saturn
