#include "profile/profile_forecast.h"

#include <algorithm>
#include <limits>
#include <map>

#include "core/units.h"
#include "profile/trial_slots.h"

namespace saturn {
namespace {

// As train/train_job.h's TrialOptions: untimed warm-up steps, the most
// timed steps and seconds.
constexpr int64_t kWarmup = 3, kMaxTimedSteps = 40;
constexpr double kMaxTimedSeconds = 60;
}  // namespace

TrialNeed trial_need(const Trial& t, const JobSet& jobs, const std::vector<DeviceGroup>& groups,
                     const ProfileStore& store, const Estimator& accounting, bool refresh) {
  const JobShape& shape = jobs.shapes[t.shape];
  const int64_t budget = groups[t.group].memory;
  auto fits = [&](const ProfileKey& k) {
    const auto mem = accounting.memory(shape, k);
    return !mem || budget <= 0 || mem->total() <= static_cast<double>(budget);
  };
  if (const auto less = less_accumulation(t.key.knobs, t.key.devices, shape.batch_size)) {
    ProfileKey k = t.key;
    k.knobs = *less;
    if (fits(k)) return TrialNeed::NotNeeded;
  }
  const auto stored = store.get(t.key);
  if (!refresh && stored && stored->source == ProfileSource::Measured) return TrialNeed::Stored;
  return fits(t.key) ? TrialNeed::Run : TrialNeed::OverBudget;
}

std::string forecast_text(const ProfileForecast& f) {
  const int64_t here = f.trials - f.unavailable;
  if (here <= 0) return "";
  return std::to_string(here) + (here == 1 ? " trial" : " trials") + " (about " + human_duration(f.seconds) + ")";
}

ProfileForecast forecast_profile(const Workload& w, const JobSet& jobs, const ProfileStore& store, bool cuda_here,
                                 bool refresh) {
  const auto groups = device_groups(w, cuda_here);
  const auto trials = enumerate_trials(w, jobs, groups);
  std::vector<std::string> hashes;
  for (const auto& s : jobs.shapes) hashes.push_back(s.hash);
  const auto stored = store.entries(hashes);
  const EstimateOptions eo = estimate_options(w);
  const Estimator accounting(eo, {}, jobs);
  // How many steps a trial times on this machine: what the stored ones took.
  std::vector<double> timed;
  for (const auto& e : store.entries())
    if (e.source == ProfileSource::Measured && e.feasible && e.timed_steps > 0) timed.push_back(static_cast<double>(e.timed_steps));
  const double timed_steps = timed.empty() ? 10 : std::min<double>(kMaxTimedSteps, median(timed));

  ProfileForecast f;
  std::vector<std::pair<size_t, double>> pending;  // trial, seconds
  std::map<size_t, Estimator> by_group;
  for (size_t i = 0; i < trials.size(); ++i) {
    const Trial& t = trials[i];
    if (trial_need(t, jobs, groups, store, accounting, refresh) != TrialNeed::Run) continue;
    ++f.trials;
    if (groups[t.group].kind == DeviceKind::Cuda && !cuda_here) {
      ++f.unavailable;
      continue;
    }
    auto est = by_group.find(t.group);
    if (est == by_group.end()) {
      EstimateOptions go = eo;
      go.memory_budget = groups[t.group].memory;
      est = by_group.emplace(t.group, Estimator(go, stored, jobs)).first;
    }
    const auto e = est->second.estimate(jobs.shapes[t.shape], t.key);
    // A shape the estimator cannot cost (TorchScript): a tenth of a second a step.
    const double step = e && e->step_time > 0 ? e->step_time : 0.1;
    const double fixed = e && e->startup > 0 ? e->startup : est->second.fixed_cost(t.key);
    pending.push_back({i, fixed + kWarmup * step + std::min(timed_steps * step, kMaxTimedSeconds)});
  }
  // The profiler's order (most devices first) and placement: start what
  // fits, then wait for the first to end.
  std::stable_sort(pending.begin(), pending.end(),
                   [&](const auto& a, const auto& b) { return trials[a.first].key.devices > trials[b.first].key.devices; });
  TrialSlots slots(groups);
  std::vector<std::pair<double, TrialPlace>> running;  // end time, place
  double now = 0;
  while (!pending.empty() || !running.empty()) {
    for (auto it = pending.begin(); it != pending.end();) {
      const Trial& t = trials[it->first];
      auto place = slots.take(t.group, t.key.devices);
      if (!place) {
        ++it;
        continue;
      }
      running.push_back({now + it->second, *place});
      it = pending.erase(it);
    }
    if (running.empty()) break;  // (a trial wider than its node: the profiler would not run it either)
    auto first = std::min_element(running.begin(), running.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    now = first->first;
    slots.give_back(first->second);
    running.erase(first);
  }
  f.seconds = now;
  return f;
}

}  // namespace saturn
