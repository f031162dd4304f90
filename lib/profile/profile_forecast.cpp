#include "profile/profile_forecast.h"

#include <algorithm>
#include <limits>
#include <map>

#include "core/step_timing.h"
#include "core/units.h"
#include "profile/trial_batches.h"
#include "profile/trial_slots.h"

namespace saturn {
namespace {

// As train/train_job.h's TrialOptions: untimed warm-up steps; the most
// timed steps and seconds (core/step_timing.h).
constexpr int64_t kWarmup = 3;
const int64_t kMaxTimedSteps = StepTimingOptions{}.max_steps;
const double kMaxTimedSeconds = StepTimingOptions{}.max_seconds;
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

double stored_timed_steps(const ProfileStore& store) {
  std::vector<double> timed;
  for (const auto& e : store.entries())
    if (e.source == ProfileSource::Measured && e.feasible && e.timed_steps > 0) timed.push_back(static_cast<double>(e.timed_steps));
  return timed.empty() ? 10 : std::min<double>(kMaxTimedSteps, median(timed));
}

double trial_seconds(const Estimator& est, const JobShape& shape, const ProfileKey& key, double timed_steps,
                     bool slow_edge) {
  const auto e = est.estimate(shape, key);
  double step = e && e->step_time > 0 ? e->step_time : 0.1;
  bool calibrated = false;
  double fixed = est.fixed_cost(key, &calibrated);
  if (e && e->startup > 0) fixed = e->startup;
  if (slow_edge) {
    step *= 1 + est.band(key.technique, key.device).width;
    if (!calibrated) fixed *= 2;
  }
  return fixed + kWarmup * step + std::min(timed_steps * step, kMaxTimedSeconds);
}

double shared_fixed_cost(const Estimator& est, const ProfileKey& key) {
  ProfileKey one = key;
  one.devices = 1;
  const double single = est.fixed_cost(one);
  return 0.5 * single + std::max(0.0, est.fixed_cost(key) - single);
}

std::string forecast_text(const ProfileForecast& f) {
  const int64_t here = f.trials - f.unavailable;
  if (here <= 0) return "";
  return std::to_string(here) + (here == 1 ? " trial" : " trials") + " (about " + human_duration(f.seconds) + ")";
}

ProfileForecast forecast_profile(const Workload& w, const JobSet& jobs, const ProfileStore& store, bool cuda_here,
                                 bool refresh, const std::vector<ProfileKey>* only) {
  const auto groups = device_groups(w, cuda_here);
  const auto trials = enumerate_trials(w, jobs, groups);
  // Every measurement calibrates, whatever its shape (estimator.h).
  const auto stored = store.entries();
  const EstimateOptions eo = estimate_options(w);
  const Estimator accounting(eo, {}, jobs);
  const double timed_steps = stored_timed_steps(store);

  ProfileForecast f;
  struct Pending {
    size_t trial;
    double seconds;  // alone in its process
    double shared;   // of which a process pays once for its batch
  };
  std::vector<Pending> here, all;
  std::map<size_t, Estimator> by_group;
  for (size_t i = 0; i < trials.size(); ++i) {
    const Trial& t = trials[i];
    if (only && std::find(only->begin(), only->end(), t.key) == only->end()) continue;
    if (trial_need(t, jobs, groups, store, accounting, refresh) != TrialNeed::Run) continue;
    ++f.trials;
    auto est = by_group.find(t.group);
    if (est == by_group.end()) {
      EstimateOptions go = eo;
      go.memory_budget = groups[t.group].memory;
      est = by_group.emplace(t.group, Estimator(go, stored, jobs)).first;
    }
    all.push_back({i, trial_seconds(est->second, jobs.shapes[t.shape], t.key, timed_steps),
                   shared_fixed_cost(est->second, t.key)});
    if (groups[t.group].kind == DeviceKind::Cuda && !cuda_here) ++f.unavailable;
    else here.push_back(all.back());
  }
  // The profiler's order (most devices first), placement and batches: start
  // what fits, then wait for the first to end.
  auto wall = [&](std::vector<Pending> pending) {
    std::stable_sort(pending.begin(), pending.end(),
                     [&](const auto& a, const auto& b) { return trials[a.trial].key.devices > trials[b.trial].key.devices; });
    TrialSlots slots(groups);
    std::vector<std::pair<double, TrialPlace>> running;  // end time, place
    double now = 0;
    while (!pending.empty() || !running.empty()) {
      for (size_t p = 0; p < pending.size();) {
        const Trial& t = trials[pending[p].trial];
        auto place = slots.take(t.group, t.key.devices);
        if (!place) {
          ++p;
          continue;
        }
        std::vector<size_t> order;
        for (const auto& q : pending) order.push_back(q.trial);
        double seconds = 0;
        for (size_t b : trial_batch(order, p, trials, trial_places(groups[t.group], t.key.devices))) {
          auto it = std::find_if(pending.begin(), pending.end(), [&](const Pending& q) { return q.trial == b; });
          seconds += it->seconds - (seconds > 0 ? it->shared : 0);
          pending.erase(it);
        }
        running.push_back({now + seconds, *place});
        p = 0;
      }
      if (running.empty()) break;  // (a trial wider than its node: the profiler would not run it either)
      auto first = std::min_element(running.begin(), running.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      now = first->first;
      slots.give_back(first->second);
      running.erase(first);
    }
    return now;
  };
  f.seconds = wall(here);
  f.where_s = f.unavailable > 0 ? wall(all) : f.seconds;
  return f;
}

}  // namespace saturn
