#include "profile/profiler.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <tuple>

#include "core/error.h"
#include "core/run_files.h"
#include "core/technique.h"
#include "core/text.h"
#include "core/units.h"
#include "core/worker_args.h"
#include "exec/process.h"
#include "profile/estimator.h"
#include "profile/profile_forecast.h"
#include "profile/trial_batches.h"
#include "profile/trial_outcome.h"
#include "profile/trial_pool.h"
#include "profile/trial_slots.h"
#include "profile/view.h"

namespace saturn {
namespace {

using Clock = std::chrono::steady_clock;

std::string memory_breakdown(const MemoryUse& m) {
  return "weights " + human_bytes(m.weights) + ", gradients " + human_bytes(m.gradients) + ", optimizer " +
         human_bytes(m.optimizer) + ", activations " + human_bytes(m.activations);
}

// One run_profile() call: the trials, what is pending and running, the tally.
struct Profiling {
  const Workload& w;
  const JobSet& jobs;
  ProfileStore& store;
  const ProfileOptions& o;
  TrialPool& pool;
  std::vector<DeviceGroup> groups;
  std::vector<Trial> trials;
  Estimator accounting;
  ProfileSummary sum;
  std::vector<size_t> pending;  // trial indices, in start order
  struct Running {
    std::vector<size_t> trials;  // the settings this process times, in order
    TrialPlace place;
    std::string dir, log;
    Clock::time_point start;
  };
  std::map<int64_t, Running> running;
  TrialSlots slots;
  std::vector<bool> group_gone;
  int total = 0, done = 0;
  double busy_seconds = 0;  // summed trial durations, for the ETA

  Profiling(const Workload& w_, const JobSet& j, ProfileStore& s, const ProfileOptions& o_, TrialPool& p,
            std::vector<DeviceGroup> g, const EstimateOptions& eo)
      : w(w_), jobs(j), store(s), o(o_), pool(p), groups(std::move(g)), trials(enumerate_trials(w, jobs, groups)),
        accounting(eo, {}, jobs), slots(groups), group_gone(groups.size(), false) {}

  void emit(ProfileEvent::Kind kind, const Trial& t, const ProfileEntry* e, const std::string& message) const {
    if (o.on_event) o.on_event({kind, &t, e, message, done, total, static_cast<int>(running.size()), eta()});
  }
  double eta() const {
    if (done == 0) return -1;
    const double width = std::max<double>(1.0, static_cast<double>(running.size()));
    return busy_seconds / done * static_cast<double>(total - done) / width;
  }
  ProfileEntry base_entry(const Trial& t) const {
    ProfileEntry e;
    e.key = t.key;
    e.shape_id = jobs.shapes[t.shape].id;
    e.measured_at = static_cast<double>(std::time(nullptr));
    e.version = o.version;
    return e;
  }
  void select();
  void start_what_fits();
  void finish(const TrialExit& ex);
  void record(size_t trial, int code, const std::string& dir, const std::string& last, const std::string& log, double wall,
              bool* failed);
  void skip_group(const Trial& t, const std::string& why);
};

// Trials the store has are skipped; those over their devices' budget by
// saturn's accounting are stored infeasible without running; the rest are
// pending, largest first (the hardest to fit once devices are shared). A
// gradient accumulation trial ("mb") is left out while the step with less
// accumulation fits: it would only be slower.
void Profiling::select() {
  for (size_t i = 0; i < trials.size(); ++i) {
    const Trial& t = trials[i];
    if (o.only && std::find(o.only->begin(), o.only->end(), t.key) == o.only->end()) {
      --sum.trials;  // not asked for this time
      continue;
    }
    switch (trial_need(t, jobs, groups, store, accounting, o.refresh)) {
      case TrialNeed::NotNeeded:
        --sum.trials;  // not a trial of this workload's
        continue;
      case TrialNeed::Stored:
        ++sum.stored;
        continue;
      case TrialNeed::Run:
        pending.push_back(i);
        continue;
      case TrialNeed::OverBudget:
        break;
    }
    ++sum.over_budget;
    const auto stored = store.get(t.key);
    if (stored && stored->source == ProfileSource::Measured) continue;  // a measurement made under a larger budget stays stored
    const auto mem = accounting.memory(jobs.shapes[t.shape], t.key);
    const int64_t budget = groups[t.group].memory;
    ProfileEntry e = base_entry(t);
    e.feasible = false;
    e.source = ProfileSource::Estimated;
    e.accounted_memory = static_cast<int64_t>(mem->total());
    e.reason = "over the " + format_bytes(budget) + " budget by saturn's accounting: " +
               human_bytes(e.accounted_memory) + " per device (" + memory_breakdown(*mem) + ")";
    store.put(e);
    emit(ProfileEvent::Done, t, &e, "");
  }
  std::stable_sort(pending.begin(), pending.end(),
                   [&](size_t a, size_t b) { return trials[a].key.devices > trials[b].key.devices; });
  total = static_cast<int>(pending.size());
}

void Profiling::start_what_fits() {
  for (size_t i = 0; i < pending.size();) {
    const Trial& t = trials[pending[i]];
    auto place = group_gone[t.group] ? std::nullopt : slots.take(t.group, t.key.devices);
    if (!place) {
      ++i;
      continue;
    }
    const DeviceGroup& g = groups[t.group];
    const std::vector<size_t> batch =
        o.batches ? trial_batch(pending, i, trials, trial_places(g, t.key.devices)) : std::vector<size_t>{pending[i]};
    Running r{batch, *place, o.scratch + "/trial-" + std::to_string(pending[i]), "", Clock::now()};
    r.log = r.dir + ".log";
    std::filesystem::remove_all(r.dir);
    WorkerArgs wa;
    wa.workload = o.workload_path;
    wa.jobs = {t.job};
    wa.run_dir = r.dir;
    wa.devices = place->devices;
    wa.technique = t.key.technique;
    wa.trial = true;
    wa.resume = false;
    wa.chat_time = w.data.chat_time;  // a run's pinned time (0 outside a run)
    if (g.kind == DeviceKind::Cpu) wa.threads = static_cast<int>(g.threads);
    wa.apply_knobs(t.key.knobs);
    if (t.key.technique == Technique::Fused) wa.copies = fused_k(t.key.knobs);  // K copies of the shape's first job
    for (size_t b = 1; b < batch.size(); ++b)
      wa.also.push_back(WorkerArgs::strategy_text(trials[batch[b]].key.technique, trials[batch[b]].key.knobs));
    running[pool.start(wa, r.log)] = r;
    ++sum.processes;
    for (size_t b : batch) {
      pending.erase(std::find(pending.begin(), pending.end(), b));
      emit(ProfileEvent::Start, trials[b], nullptr, "");
    }
    i = 0;  // what was skipped before still does not fit; the batch's mates are gone
  }
}

// These devices are not here (cuda without CUDA): the group's other
// trials are skipped too, and estimated instead.
void Profiling::skip_group(const Trial& t, const std::string& why) {
  group_gone[t.group] = true;
  int64_t skipped = 1;
  for (auto p = pending.begin(); p != pending.end();) {
    if (trials[*p].group != t.group) {
      ++p;
      continue;
    }
    ++skipped;
    p = pending.erase(p);
  }
  sum.unavailable += skipped;
  done += static_cast<int>(skipped - 1);
  emit(ProfileEvent::Skip, t,
       nullptr, std::to_string(skipped) + " trial(s) on " + groups[t.group].model + " skipped, estimated instead: " + why);
}

// One process's end: each setting it timed is recorded; the first one
// without every rank's measurement is where it ended (its exit code says why);
// the settings after that never ran and are pending again.
void Profiling::finish(const TrialExit& ex) {
  auto it = running.find(ex.id);
  if (it == running.end()) return;
  const Running r = it->second;
  running.erase(it);
  slots.give_back(r.place);
  const double wall = std::chrono::duration<double>(Clock::now() - r.start).count();
  busy_seconds += wall;
  const int64_t ranks = trials[r.trials.front()].key.devices;
  auto complete = [&](size_t i) {  // every rank measured it
    const std::string dir = run_files::trial_setting_dir(r.dir, i);
    for (int64_t k = 0; k < ranks; ++k) {
      try {
        const auto t = run_files::read_trial(dir, static_cast<int>(k));
        if (!t || !t->feasible) return false;
      } catch (const Error&) {
        return false;
      }
    }
    return true;
  };
  size_t ended = 0;  // the setting the process ended in
  while (ended + 1 < r.trials.size() && complete(ended)) ++ended;
  if (ex.code != 0 || !complete(ended)) pending.insert(pending.begin(), r.trials.begin() + static_cast<std::ptrdiff_t>(ended) + 1, r.trials.end());
  else ended = r.trials.size() - 1;
  bool failed = false;
  const std::string last = last_line(r.log);
  for (size_t i = 0; i <= ended; ++i) {
    const Trial& t = trials[r.trials[i]];
    if (group_gone[t.group]) break;  // skipped with the group
    // A lone setting's process is its own: its wall less its steps is its fixed cost.
    record(r.trials[i], i < ended ? 0 : ex.code, run_files::trial_setting_dir(r.dir, i), last, r.log,
           r.trials.size() == 1 ? wall : 0, &failed);
  }
  if (!failed) {
    std::filesystem::remove_all(r.dir);
    std::filesystem::remove(r.log);
  }
}

void Profiling::record(size_t trial, int code, const std::string& dir, const std::string& last, const std::string& log,
                       double wall, bool* failed) {
  const Trial& t = trials[trial];
  const DeviceGroup& g = groups[t.group];
  ++done;
  std::vector<run_files::Trial> results;
  const TrialVerdict v = classify_trial(code, dir, t.key.devices, last, &results);
  switch (v.outcome) {
    case TrialOutcome::Measured:
    case TrialOutcome::OutOfMemory: {
      ProfileEntry e = base_entry(t);
      if (auto mem = accounting.memory(jobs.shapes[t.shape], t.key)) e.accounted_memory = static_cast<int64_t>(mem->total());
      std::tie(e.est_ideal, e.est_floor) = accounting.raw_figures(jobs.shapes[t.shape], t.key);
      record_trial(v, results, wall, e);
      store.put(e);  // the facts; the budget verdict is made when they are read
      apply_budget(e, g.memory, g.kind == DeviceKind::Cpu);
      if (!e.feasible && v.outcome == TrialOutcome::Measured) ++sum.over_budget;
      ++sum.measured;
      emit(ProfileEvent::Done, t, &e, "");
      break;
    }
    case TrialOutcome::Unavailable:
      skip_group(t, v.why);
      break;
    case TrialOutcome::BadInput:
      ++sum.failed;
      *failed = true;
      if (sum.bad_input.empty()) sum.bad_input = v.why.rfind("saturn worker: ", 0) == 0 ? v.why.substr(15) : v.why;
      emit(ProfileEvent::Fail, t, nullptr, v.why + " (log: " + log + ")");
      break;
    case TrialOutcome::Failed:
      ++sum.failed;
      *failed = true;
      emit(ProfileEvent::Fail, t, nullptr, v.why + " (log: " + log + ")");
      break;
  }
}

}  // namespace

ProfileSummary run_profile(const Workload& w, const JobSet& jobs, ProfileStore& store, const ProfileOptions& o) {
  const auto t0 = Clock::now();
  std::unique_ptr<TrialPool> own;
  if (!o.pool) own = std::make_unique<ProcessTrialPool>(o.saturn);
  const EstimateOptions eo = estimate_options(w);
  Profiling p(w, jobs, store, o, o.pool ? *o.pool : *own, device_groups(w, o.cuda_here), eo);
  p.sum.trials = static_cast<int64_t>(p.trials.size());
  p.sum.naive = naive_trial_count(w, jobs, p.groups);
  p.select();
  std::filesystem::create_directories(o.scratch);
  p.start_what_fits();
  while (!p.running.empty()) {
    if (!p.sum.bad_input.empty()) {  // every other trial would fail on it too
      p.pool.kill_all();
      p.running.clear();
      p.pending.clear();
      break;
    }
    if (o.stop && *o.stop) {
      p.pool.kill_all();
      p.running.clear();
      p.sum.interrupted = true;
      break;
    }
    if (auto ex = p.pool.wait()) p.finish(*ex);  // none: a signal, check the flag
    if (!(o.stop && *o.stop) && p.sum.bad_input.empty()) p.start_what_fits();
  }
  // A stop as the last running trial ended leaves trials never started.
  if (o.stop && *o.stop && !p.pending.empty()) p.sum.interrupted = true;
  if (p.sum.failed == 0) std::filesystem::remove_all(o.scratch);
  p.sum.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  return p.sum;
}

}  // namespace saturn
