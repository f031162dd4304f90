#include "profile/profiler.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/run_files.h"
#include "core/technique.h"
#include "core/text.h"
#include "core/units.h"
#include "core/worker_args.h"
#include "exec/process.h"
#include "profile/estimator.h"
#include "profile/view.h"

namespace saturn {
namespace {

using Clock = std::chrono::steady_clock;

struct Running {
  size_t trial;
  size_t node;               // index into the flattened node list
  std::vector<int64_t> ids;  // device ids taken
  std::string dir, log;
  Clock::time_point start;
};

struct NodeSlots {
  size_t group;
  std::string name;
  std::vector<bool> busy;
};

// The rank files a trial left; `bad` gets the first malformed one's line.
std::vector<run_files::Trial> read_ranks(const std::string& dir, int64_t n, std::string* bad) {
  std::vector<run_files::Trial> out;
  for (int64_t r = 0; r < n; ++r) {
    try {
      if (auto t = run_files::read_trial(dir, static_cast<int>(r))) out.push_back(*t);
    } catch (const Error& e) {
      if (bad->empty()) *bad = e.what();
    }
  }
  return out;
}

std::string memory_breakdown(const MemoryUse& m) {
  return "weights " + human_bytes(m.weights) + ", gradients " +
         human_bytes(m.gradients) + ", optimizer " +
         human_bytes(m.optimizer) + ", activations " +
         human_bytes(m.activations);
}

}  // namespace

ProfileSummary run_profile(const Workload& w, const JobSet& jobs, ProfileStore& store, const ProfileOptions& o) {
  const auto t0 = Clock::now();
  ProfileSummary sum;
  const auto groups = device_groups(w, o.cuda_here);
  const auto trials = enumerate_trials(w, jobs, groups);
  sum.trials = static_cast<int64_t>(trials.size());
  sum.naive = naive_trial_count(w, jobs, groups);
  EstimateOptions eo;
  eo.optimizer = w.train.optimizer;
  eo.precision = w.train.precision;
  const Estimator accounting(eo, {}, jobs);

  auto emit = [&](ProfileEvent e) {
    if (o.on_event) o.on_event(e);
  };
  auto base_entry = [&](const Trial& t) {
    ProfileEntry e;
    e.key = t.key;
    e.shape_id = jobs.shapes[t.shape].id;
    e.measured_at = static_cast<double>(std::time(nullptr));
    e.version = o.version;
    return e;
  };

  std::vector<size_t> pending;
  for (size_t i = 0; i < trials.size(); ++i) {
    const Trial& t = trials[i];
    const auto stored = store.get(t.key);
    if (!o.refresh && stored && stored->source == ProfileSource::Measured) {
      ++sum.stored;
      continue;
    }
    const auto mem = accounting.memory(jobs.shapes[t.shape], t.key);
    const int64_t budget = groups[t.group].memory;
    if (mem && budget > 0 && mem->total() > static_cast<double>(budget)) {
      // Not run. A measurement made under a larger budget stays stored.
      if (stored && stored->source == ProfileSource::Measured) {
        ++sum.over_budget;
        continue;
      }
      ProfileEntry e = base_entry(t);
      e.feasible = false;
      e.source = ProfileSource::Estimated;
      e.accounted_memory = static_cast<int64_t>(mem->total());
      e.reason = "over the " + format_bytes(budget) + " budget by saturn's accounting: " +
                 human_bytes(e.accounted_memory) + " per device (" + memory_breakdown(*mem) + ")";
      store.put(e);
      ++sum.over_budget;
      emit({ProfileEvent::Done, &t, &e, "", 0, 0, 0, -1});
      continue;
    }
    pending.push_back(i);
  }
  // Largest first: they are the hardest to fit once devices are shared.
  std::stable_sort(pending.begin(), pending.end(),
                   [&](size_t a, size_t b) { return trials[a].key.devices > trials[b].key.devices; });

  std::vector<NodeSlots> nodes;
  for (size_t g = 0; g < groups.size(); ++g)
    for (const auto& n : groups[g].nodes) nodes.push_back({g, n, std::vector<bool>(static_cast<size_t>(groups[g].count))});
  std::vector<bool> group_gone(groups.size(), false);

  const int total = static_cast<int>(pending.size());
  int done = 0;
  double busy_seconds = 0;  // summed trial durations, for the ETA
  std::map<pid_t, Running> running;
  std::filesystem::create_directories(o.scratch);

  auto eta = [&]() -> double {
    if (done == 0) return -1;
    const double per = busy_seconds / done;
    const double width = std::max<double>(1.0, static_cast<double>(running.size()));
    return per * static_cast<double>(total - done) / width;
  };

  auto try_start = [&]() {
    for (auto it = pending.begin(); it != pending.end();) {
      const Trial& t = trials[*it];
      if (group_gone[t.group]) {
        ++it;
        continue;
      }
      bool started = false;
      for (size_t n = 0; n < nodes.size() && !started; ++n) {
        if (nodes[n].group != t.group) continue;
        std::vector<int64_t> ids;
        for (size_t d = 0; d < nodes[n].busy.size() && static_cast<int64_t>(ids.size()) < t.key.devices; ++d)
          if (!nodes[n].busy[d]) ids.push_back(static_cast<int64_t>(d));
        if (static_cast<int64_t>(ids.size()) < t.key.devices) continue;
        const DeviceGroup& g = groups[t.group];
        std::vector<std::string> devs;
        for (int64_t id : ids) devs.push_back(g.kind == DeviceKind::Cuda ? "cuda:" + std::to_string(id) : "cpu");
        Running r;
        r.trial = *it;
        r.node = n;
        r.ids = ids;
        r.dir = o.scratch + "/trial-" + std::to_string(*it);
        r.log = r.dir + ".log";
        r.start = Clock::now();
        std::filesystem::remove_all(r.dir);
        WorkerArgs wa;
        wa.workload = o.workload_path;
        wa.jobs = {t.job};
        wa.run_dir = r.dir;
        wa.devices = devs;
        wa.technique = t.key.technique;
        wa.trial = true;
        wa.resume = false;
        if (g.kind == DeviceKind::Cpu) wa.threads = static_cast<int>(g.threads);
        wa.apply_knobs(t.key.knobs);
        if (t.key.technique == Technique::Fused) wa.copies = fused_k(t.key.knobs);  // K copies of the shape's first job
        const std::vector<std::string> argv = wa.to_argv(o.saturn);
        SpawnOptions so;
        so.log = r.log;
        so.parent_death_signal = SIGKILL;  // a trial without its profiler measures nothing
        const pid_t pid = spawn(argv, so);
        for (int64_t id : ids) nodes[n].busy[static_cast<size_t>(id)] = true;
        running[pid] = r;
        started = true;
        emit({ProfileEvent::Start, &t, nullptr, "", done, total, static_cast<int>(running.size()), eta()});
      }
      it = started ? pending.erase(it) : it + 1;
    }
  };

  try_start();
  while (!running.empty()) {
    if (o.stop && *o.stop) {
      for (auto& [pid, r] : running) signal_child(pid, SIGKILL);
      while (!running.empty()) {
        auto ex = wait_child();
        if (ex) running.erase(ex->pid);
        else if (errno == ECHILD) break;
      }
      sum.interrupted = true;
      break;
    }
    auto ex = wait_child();
    if (!ex) continue;  // a signal: check the flag
    auto it = running.find(ex->pid);
    if (it == running.end()) continue;
    Running r = it->second;
    running.erase(it);
    for (int64_t id : r.ids) nodes[r.node].busy[static_cast<size_t>(id)] = false;
    const Trial& t = trials[r.trial];
    const DeviceGroup& g = groups[t.group];
    busy_seconds += std::chrono::duration<double>(Clock::now() - r.start).count();
    ++done;
    std::string bad;
    const auto ranks = read_ranks(r.dir, t.key.devices, &bad);
    auto oom = std::find_if(ranks.begin(), ranks.end(), [](const run_files::Trial& j) { return !j.feasible; });
    const bool measured = ex->code == 0 && bad.empty() && !ranks.empty();
    if (measured || oom != ranks.end()) {
      ProfileEntry e = base_entry(t);
      if (auto mem = accounting.memory(jobs.shapes[t.shape], t.key)) e.accounted_memory = static_cast<int64_t>(mem->total());
      if (oom != ranks.end()) {
        e.feasible = false;
        e.reason = oom->reason;
      } else {
        const run_files::Trial& lead = ranks.front();
        e.step_time = lead.step_time;
        e.spread = lead.spread;
        e.timed_steps = lead.timed_steps;
        for (const auto& j : ranks) {
          e.peak_memory = std::max(e.peak_memory, j.peak_memory);
          e.startup = std::max(e.startup, j.startup_s);
        }
      }
      store.put(e);  // the facts; the budget verdict is made when they are read
      apply_budget(e, g.memory, g.kind == DeviceKind::Cpu);
      if (!e.feasible && oom == ranks.end()) ++sum.over_budget;
      ++sum.measured;
      emit({ProfileEvent::Done, &t, &e, "", done, total, static_cast<int>(running.size()), eta()});
      std::filesystem::remove_all(r.dir);
      std::filesystem::remove(r.log);
    } else if (ex->code == 69) {
      // These devices are not here (cuda without CUDA): skip the group.
      group_gone[t.group] = true;
      const std::string why = last_line(r.log);
      int64_t skipped = 1;
      for (auto p = pending.begin(); p != pending.end();) {
        if (trials[*p].group == t.group) {
          ++skipped;
          p = pending.erase(p);
        } else {
          ++p;
        }
      }
      sum.unavailable += skipped;
      done += static_cast<int>(skipped - 1);
      emit({ProfileEvent::Skip, &t, nullptr,
            std::to_string(skipped) + " trial(s) on " + g.model + " skipped, estimated instead: " + why, done, total,
            static_cast<int>(running.size()), eta()});
    } else {
      ++sum.failed;
      const std::string why = ex->code != 0 ? "worker exited " + std::to_string(ex->code) + ": " + last_line(r.log)
                              : !bad.empty() ? bad
                                             : "worker exited 0 without a trial file";
      emit({ProfileEvent::Fail, &t, nullptr, why + " (log: " + r.log + ")", done, total,
            static_cast<int>(running.size()), eta()});
    }
    if (!(o.stop && *o.stop)) try_start();
  }
  if (sum.failed == 0) std::filesystem::remove_all(o.scratch);
  sum.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  return sum;
}

}  // namespace saturn
