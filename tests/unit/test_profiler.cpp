// The profiler's trial packing, outcome classification and bookkeeping,
// on a fake TrialPool that plays the workers: it writes the rank files a
// worker would (run_files) and exits with the code a test scripts. The
// store is a real SQLite file in a temporary folder.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/job.h"
#include "core/run_files.h"
#include "profile/estimator.h"
#include "profile/profile_forecast.h"
#include "profile/profiler.h"
#include "profile/trial_batches.h"
#include "profile/trial_outcome.h"
#include "profile/trial_pool.h"
#include "profile/trial_slots.h"
#include "temp_dir.h"
#include "workload_text.h"

namespace fs = std::filesystem;
using namespace saturn;

namespace {

using test::TempDir;

void write_rank(const std::string& run_dir, int rank, const run_files::Trial& t) {
  fs::create_directories(run_files::trial_dir(run_dir));
  std::ofstream(run_files::trial_rank_path(run_dir, rank)) << run_files::to_json(t).dump();
}

run_files::Trial measured(double step_time, int64_t peak) {
  run_files::Trial t;
  t.step_time = step_time;
  t.timed_steps = 5;
  t.peak_memory = peak;
  t.startup_s = 1.5;
  return t;
}

// Trials end in the order they started. `play` writes what the worker
// would leave for one setting (WorkerArgs::setting) and returns its exit
// code; a process plays its settings in order until one does not return 0,
// as the worker does. Records every start and the largest number of
// devices busy at once; flags two running trials on one device.
class FakePool final : public TrialPool {
 public:
  std::function<int(const WorkerArgs&)> play = [](const WorkerArgs& a) {
    for (size_t r = 0; r < a.devices.size(); ++r) write_rank(a.run_dir, static_cast<int>(r), measured(0.25, 1000));
    return 0;
  };
  std::vector<WorkerArgs> started;
  size_t most_running = 0;
  bool overlap = false;

  int64_t start(const WorkerArgs& args, const std::string&) override {
    for (const auto& d : args.devices)
      if (!busy_.insert(d).second) overlap = true;
    started.push_back(args);
    running_.push_back(static_cast<int64_t>(started.size() - 1));
    most_running = std::max(most_running, running_.size());
    return running_.back();
  }
  std::optional<TrialExit> wait() override {
    if (running_.empty()) return std::nullopt;
    const int64_t id = running_.front();
    running_.pop_front();
    const WorkerArgs& a = started[static_cast<size_t>(id)];
    for (const auto& d : a.devices) busy_.erase(d);
    int code = 0;
    for (size_t i = 0; i < a.settings() && code == 0; ++i) code = play(a.setting(i));
    return TrialExit{id, code};
  }
  void kill_all() override {
    running_.clear();
    busy_.clear();
  }

 private:
  std::deque<int64_t> running_;
  std::set<std::string> busy_;
};

std::string cuda_workload(int devices) {
  std::string w = test::with_line(5, "      devices: {kind: cuda, count: " + std::to_string(devices) + ", model: A100-80GB}");
  return test::with_line(13, "    lr: [1e-3]", w);
}

struct Setup {
  TempDir dir;
  Workload w;
  JobSet jobs;
  explicit Setup(const std::string& text) {
    LoadOptions lo;
    lo.check_files = false;
    w = parse_workload(text, "w.yaml", "", lo);
    jobs = expand_jobs(w);
  }
  ProfileOptions options(FakePool& pool) const {
    ProfileOptions o;
    o.workload_path = "w.yaml";
    o.saturn = "/nonexistent/saturn";
    o.scratch = (dir.path / "scratch").string();
    o.version = "test";
    o.pool = &pool;
    return o;
  }
};

}  // namespace

TEST_CASE("trial slots: disjoint devices, lowest ids first, per node") {
  DeviceGroup g;
  g.kind = DeviceKind::Cuda;
  g.count = 4;
  g.nodes = {"a", "b"};
  TrialSlots slots({g});
  auto p = slots.take(0, 3);
  REQUIRE(p);
  CHECK(p->node == 0);
  CHECK(p->devices == std::vector<std::string>{"cuda:0", "cuda:1", "cuda:2"});
  auto q = slots.take(0, 2);  // node a has one free: node b
  REQUIRE(q);
  CHECK(q->node == 1);
  CHECK(q->ids == std::vector<int64_t>{0, 1});
  auto r = slots.take(0, 1);
  REQUIRE(r);
  CHECK((r->node == 0 && r->ids == std::vector<int64_t>{3}));
  CHECK_FALSE(slots.take(0, 3));
  CHECK(slots.busy() == 6);
  slots.give_back(*p);
  CHECK(slots.take(0, 3));
  DeviceGroup c;
  c.count = 2;
  c.nodes = {"cpu"};
  TrialSlots cpus({c});
  CHECK(cpus.take(0, 2)->devices == std::vector<std::string>{"cpu", "cpu"});
}

TEST_CASE("trial outcome: measured, out of memory, unavailable, failed") {
  TempDir d;
  const std::string run = d.path.string();
  std::vector<run_files::Trial> results;
  SECTION("every rank feasible, exit 0: measured; the largest peak and startup over ranks") {
    write_rank(run, 0, measured(0.5, 100));
    auto other = measured(0.6, 300);
    other.startup_s = 4;
    write_rank(run, 1, other);
    const auto v = classify_trial(0, run, 2, "", &results);
    CHECK(v.outcome == TrialOutcome::Measured);
    ProfileEntry e;
    record_trial(v, results, 0, e);
    CHECK(e.step_time == 0.5);
    CHECK(e.peak_memory == 300);
    CHECK(e.startup == 4);
    CHECK(e.feasible);
  }
  SECTION("the job's fixed cost: the trial's launch to exit less its steps at the median step") {
    auto lead = measured(0.5, 100);
    lead.steps = 10;  // 3 warm-up + 7 timed
    lead.startup_s = 1;
    write_rank(run, 0, lead);
    const auto v = classify_trial(0, run, 1, "", &results);
    ProfileEntry e;
    record_trial(v, results, 7.5, e);  // 5 s of steps; 2.5 s of start, first steps' extra and exit
    CHECK(e.startup == Approx(2.5));
    ProfileEntry old;
    results.front().steps = 0;  // a worker that did not count its steps: its own start-up
    record_trial(v, results, 7.5, old);
    CHECK(old.startup == 1);
  }
  SECTION("a rank out of memory: infeasible with its reason, whatever the exit code") {
    write_rank(run, 0, measured(0.5, 100));
    run_files::Trial oom;
    oom.feasible = false;
    oom.reason = "out of memory: CUDA out of memory. Tried to allocate 2.00 GiB";
    write_rank(run, 1, oom);
    const auto v = classify_trial(3, run, 2, "", &results);
    CHECK(v.outcome == TrialOutcome::OutOfMemory);
    ProfileEntry e;
    record_trial(v, results, 0, e);
    CHECK_FALSE(e.feasible);
    CHECK(e.reason == oom.reason);
  }
  SECTION("exit 69: these devices are not here") {
    const auto v = classify_trial(69, run, 1, "device cuda:0: CUDA is not available to this saturn", &results);
    CHECK(v.outcome == TrialOutcome::Unavailable);
    CHECK(v.why == "device cuda:0: CUDA is not available to this saturn");
  }
  SECTION("a crash, a missing or a malformed rank file: failed, saying why") {
    CHECK(classify_trial(134, run, 1, "Aborted", &results).why == "worker exited 134: Aborted");
    CHECK(classify_trial(0, run, 1, "", &results).why == "worker exited 0 without a trial file");
    fs::create_directories(run_files::trial_dir(run));
    std::ofstream(run_files::trial_rank_path(run, 0)) << "{\"feasible\": tru";
    const auto v = classify_trial(0, run, 1, "", &results);
    CHECK(v.outcome == TrialOutcome::Failed);
    CHECK_THAT(v.why, Catch::Contains("rank-0.json"));
  }
}

TEST_CASE("profiler: trials run at once on disjoint devices, largest first, each stored once") {
  Setup s(cuda_workload(2));
  FakePool pool;
  ProfileStore store((s.dir.path / "profiles.db").string());
  std::vector<ProfileEvent::Kind> kinds;
  auto o = s.options(pool);
  o.on_event = [&](const ProfileEvent& e) { kinds.push_back(e.kind); };
  const ProfileSummary sum = run_profile(s.w, s.jobs, store, o);
  REQUIRE(!pool.started.empty());
  CHECK_FALSE(pool.overlap);
  CHECK(pool.most_running == 2);  // two one-device trials at once
  CHECK(pool.started.front().devices.size() == 2);
  CHECK(pool.started.back().devices.size() == 1);
  size_t settings = 0;
  for (const auto& a : pool.started) settings += a.settings();
  CHECK(sum.measured == static_cast<int64_t>(settings));
  CHECK(settings > pool.started.size());  // a process times several strategies
  CHECK(sum.failed == 0);
  for (const auto& a : pool.started) {
    CHECK(a.trial);
    CHECK_FALSE(a.resume);
  }
  CHECK(std::count(kinds.begin(), kinds.end(), ProfileEvent::Done) == sum.measured);
  CHECK_FALSE(fs::exists(s.dir.path / "scratch"));  // removed when nothing failed

  SECTION("a second profile finds everything stored and starts nothing") {
    FakePool again;
    const ProfileSummary s2 = run_profile(s.w, s.jobs, store, s.options(again));
    CHECK(again.started.empty());
    CHECK(s2.stored == sum.measured);
  }
}

TEST_CASE("profile forecast: the trials the profiler would run and about how long, none once stored") {
  Setup s(cuda_workload(2));
  ProfileStore store((s.dir.path / "profiles.db").string());
  const ProfileForecast before = forecast_profile(s.w, s.jobs, store, /*cuda_here=*/true);
  const ProfileForecast elsewhere = forecast_profile(s.w, s.jobs, store, /*cuda_here=*/false);
  CHECK(elsewhere.trials == before.trials);
  CHECK(elsewhere.unavailable == before.trials);  // skipped here, estimated
  CHECK(elsewhere.seconds == 0);
  CHECK(forecast_text(elsewhere) == "");
  FakePool pool;
  const ProfileSummary sum = run_profile(s.w, s.jobs, store, s.options(pool));
  CHECK(before.trials == sum.measured);
  CHECK(before.unavailable == 0);
  // Each trial pays a GPU job's fixed cost; two one-device trials share the node.
  const EstimateOptions eo;
  CHECK(before.seconds > eo.fixed_cost_gpu + eo.rendezvous_gpu);
  CHECK(before.seconds < static_cast<double>(before.trials) * (eo.fixed_cost_gpu + eo.rendezvous_gpu));
  CHECK(forecast_text(before).find(std::to_string(before.trials) + " trials (about ") == 0);
  const ProfileForecast after = forecast_profile(s.w, s.jobs, store, true);
  CHECK(after.trials == 0);
  CHECK(after.seconds == 0);
}

TEST_CASE("profiler: a group that is not here is skipped at its first trial, and failures keep their logs") {
  Setup s(cuda_workload(2));
  ProfileStore store((s.dir.path / "profiles.db").string());
  SECTION("exit 69 skips the rest of the group") {
    FakePool pool;
    pool.play = [](const WorkerArgs&) { return 69; };
    std::vector<std::string> skips;
    auto o = s.options(pool);
    o.on_event = [&](const ProfileEvent& e) {
      if (e.kind == ProfileEvent::Skip) skips.push_back(e.message);
    };
    const ProfileSummary sum = run_profile(s.w, s.jobs, store, o);
    CHECK(sum.measured == 0);
    CHECK(sum.unavailable == sum.trials - sum.over_budget);
    CHECK(pool.started.size() <= 2);  // what had started before the first exit
    REQUIRE(skips.size() == pool.started.size());
    CHECK_THAT(skips.front(), Catch::Contains("skipped, estimated instead"));
  }
  SECTION("a worker that fails stores nothing and keeps the scratch folder") {
    FakePool pool;
    pool.play = [](const WorkerArgs&) { return 70; };
    const ProfileSummary sum = run_profile(s.w, s.jobs, store, s.options(pool));
    CHECK(sum.failed == static_cast<int64_t>(pool.started.size()));  // each process's first; the rest run anew
    CHECK(sum.measured == 0);
    CHECK(fs::exists(s.dir.path / "scratch"));
    CHECK(store.entries().empty());
  }
  SECTION("out of memory is stored infeasible") {
    FakePool pool;
    pool.play = [](const WorkerArgs& a) {
      run_files::Trial t;
      t.feasible = false;
      t.reason = "out of memory: test";
      write_rank(a.run_dir, 0, t);
      return 3;
    };
    const ProfileSummary sum = run_profile(s.w, s.jobs, store, s.options(pool));
    CHECK(sum.measured == static_cast<int64_t>(pool.started.size()));  // each process ends at its first
    CHECK(sum.measured == sum.trials - sum.over_budget);                // and the rest run anew
    for (const auto& e : store.entries()) CHECK((!e.feasible && e.reason == "out of memory: test"));
  }
}

TEST_CASE("profiler: a stop kills the running trials and keeps what was measured") {
  Setup s(cuda_workload(2));
  ProfileStore store((s.dir.path / "profiles.db").string());
  FakePool pool;
  volatile std::sig_atomic_t stop = 0;
  int exits = 0;
  pool.play = [&](const WorkerArgs& a) {
    write_rank(a.run_dir, 0, measured(0.25, 1));
    if (a.devices.size() > 1) write_rank(a.run_dir, 1, measured(0.25, 1));
    if (++exits == 1) stop = SIGINT;
    return 0;
  };
  auto o = s.options(pool);
  o.stop = &stop;
  const ProfileSummary sum = run_profile(s.w, s.jobs, store, o);
  CHECK(sum.interrupted);
  CHECK(sum.measured == static_cast<int64_t>(pool.started.front().settings()));  // the first process's settings
  CHECK(store.entries().size() == pool.started.front().settings());
}

TEST_CASE("profiler: gradient accumulation is tried only where less of it is over budget") {
  // One device whose budget lies between what micro-batches of 4 and of 8 need.
  const std::string base = test::with_line(13, "    lr: [1e-3]") + "techniques: [single]\n";
  Setup probe(test::with_line(5, "      devices: {kind: cuda, count: 1, model: A100-80GB}", base));
  const JobShape& shape = probe.jobs.shapes.at(0);
  const Estimator est(EstimateOptions{}, {}, probe.jobs);
  auto need = [&](const std::string& knobs) {
    return est.memory(shape, ProfileKey{shape.hash, Technique::Single, knobs, "A100-80GB", 1, 0})->total();
  };
  const int64_t mib = static_cast<int64_t>((need("mb=4") + need("mb=8")) / 2) >> 20;
  REQUIRE(need("mb=4") < static_cast<double>(mib << 20));
  REQUIRE(need("mb=8") > static_cast<double>(mib << 20));
  Setup s(test::with_line(5, "      devices: {kind: cuda, count: 1, model: A100-80GB, memory: " + std::to_string(mib) +
                                 "MiB, reserve: 0GiB}", base));
  FakePool pool;
  ProfileStore store((s.dir.path / "profiles.db").string());
  const ProfileSummary sum = run_profile(s.w, s.jobs, store, s.options(pool));
  // Run: mb=4 alone (4 samples a pass); stored over budget: no accumulation,
  // mb=16, mb=8; left out: mb=2 and mb=1 (mb=4 fits).
  REQUIRE(pool.started.size() == 1);
  CHECK(pool.started[0].micro_batch == 4);
  CHECK(sum.measured == 1);
  CHECK(sum.over_budget == 3);
  CHECK(sum.trials == 4);
  std::set<std::string> stored;
  for (const auto& e : store.entries()) stored.insert(e.key.knobs + (e.feasible ? "" : " (over budget)"));
  CHECK(stored == std::set<std::string>{" (over budget)", "mb=16 (over budget)", "mb=8 (over budget)", "mb=4"});
}

TEST_CASE("trial batches: one shape's strategies of one width share a process, spread over the places") {
  auto trial = [](size_t shape, size_t group, int64_t devices, Technique t, const std::string& knobs) {
    Trial x;
    x.shape = shape;
    x.group = group;
    x.job = "job-" + std::to_string(shape);
    x.key = ProfileKey{"s" + std::to_string(shape), t, knobs, "A100-80GB", devices, 0};
    return x;
  };
  std::vector<Trial> trials;
  for (size_t shape = 0; shape < 2; ++shape)
    for (int k = 0; k < 6; ++k) trials.push_back(trial(shape, 0, 1, Technique::Fused, "k=" + std::to_string(2 << k)));
  trials.push_back(trial(0, 0, 2, Technique::Ddp, ""));
  trials.push_back(trial(0, 0, 2, Technique::Fsdp, ""));
  trials.push_back(trial(0, 1, 2, Technique::Fsdp, "recompute=0"));  // another device group
  CHECK(same_process(trials[0], trials[5]));
  CHECK_FALSE(same_process(trials[0], trials[6]));   // another shape
  CHECK_FALSE(same_process(trials[0], trials[12]));  // another width
  CHECK(same_process(trials[12], trials[13]));
  CHECK_FALSE(same_process(trials[13], trials[14]));  // another group
  std::vector<size_t> pending(trials.size());
  for (size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  // 12 one-device trials of two shapes on 8 places: 4 processes a shape, 2 trials each.
  CHECK(trial_batch(pending, 0, trials, 8) == std::vector<size_t>{0, 1});
  CHECK(trial_batch(pending, 7, trials, 8) == std::vector<size_t>{7, 6});  // the lead first, then pending order
  // On one place: each shape's six in one process.
  CHECK(trial_batch(pending, 0, trials, 1) == std::vector<size_t>{0, 1, 2, 3, 4, 5});
  // Places for every trial: one each.
  CHECK(trial_batch(pending, 0, trials, 16).size() == 1);
  CHECK(trial_batch(pending, 12, trials, 1) == std::vector<size_t>{12, 13});
  CHECK(trial_batch(pending, 14, trials, 4) == std::vector<size_t>{14});
  DeviceGroup g;
  g.count = 8;
  g.nodes = {"a", "b"};
  CHECK(trial_places(g, 1) == 16);
  CHECK(trial_places(g, 3) == 4);
  CHECK(trial_places(g, 16) == 0);
}

TEST_CASE("profiler: one process times several strategies; where one runs out of memory the rest run anew") {
  // One A100: single, spill and fused groups of one shape on one device.
  Setup s(test::with_line(5, "      devices: {kind: cuda, count: 1, model: A100-80GB}"));
  ProfileStore store((s.dir.path / "profiles.db").string());
  FakePool pool;
  std::vector<std::string> played;  // technique:knobs of each setting, in order
  pool.play = [&](const WorkerArgs& a) {
    const std::string what = WorkerArgs::strategy_text(*a.technique, a.copies > 0 ? "k=" + std::to_string(a.copies) : "");
    played.push_back(what + (a.run_dir.find("/also-") != std::string::npos ? " (also)" : ""));
    if (played.size() == 2) {  // the second setting of the first process
      run_files::Trial oom;
      oom.feasible = false;
      oom.reason = "out of memory: test";
      write_rank(a.run_dir, 0, oom);
      return 3;
    }
    write_rank(a.run_dir, 0, measured(0.1 * static_cast<double>(played.size()), 1000));
    return 0;
  };
  const ProfileSummary sum = run_profile(s.w, s.jobs, store, s.options(pool));
  REQUIRE(pool.started.size() == 2);
  const size_t first = pool.started[0].settings();
  REQUIRE(first >= 3);
  CHECK(pool.started[1].settings() == first - 2);  // those after the one out of memory, in a new process
  CHECK(played.size() == first);
  CHECK(sum.measured == static_cast<int64_t>(first));
  CHECK(sum.failed == 0);
  int oom = 0, feasible = 0;
  for (const auto& e : store.entries()) {
    if (e.feasible) {
      ++feasible;
      CHECK(e.step_time > 0);
    } else {
      ++oom;
      CHECK(e.reason == "out of memory: test");
    }
  }
  CHECK(oom == 1);
  CHECK(feasible == static_cast<int>(first) - 1);
  CHECK_FALSE(fs::exists(s.dir.path / "scratch"));
}

TEST_CASE("profile forecast: a batch of trials in one process pays the shared fixed cost once") {
  Setup s(test::with_line(5, "      devices: {kind: cuda, count: 1, model: A100-80GB}"));
  ProfileStore store((s.dir.path / "profiles.db").string());
  const auto groups = device_groups(s.w, true);
  const auto trials = enumerate_trials(s.w, s.jobs, groups);
  EstimateOptions eo = estimate_options(s.w);
  const Estimator accounting(eo, {}, s.jobs);
  eo.memory_budget = groups.at(0).memory;
  const Estimator est(eo, {}, s.jobs);
  double alone = 0, shared = -1;
  int64_t n = 0;
  for (const Trial& t : trials) {
    if (trial_need(t, s.jobs, groups, store, accounting, false) != TrialNeed::Run) continue;
    ++n;
    alone += trial_seconds(est, s.jobs.shapes[t.shape], t.key, stored_timed_steps(store));
    if (shared < 0) shared = shared_fixed_cost(est, t.key);
    CHECK(shared_fixed_cost(est, t.key) == Approx(shared));  // one device each: the same share
  }
  REQUIRE(n >= 3);
  CHECK(shared == Approx(0.5 * (eo.fixed_cost_gpu)));  // half a one-device job's fixed cost
  const ProfileForecast f = forecast_profile(s.w, s.jobs, store, true);
  CHECK(f.trials == n);
  // One place: one process times them all, the first paying the whole fixed cost.
  CHECK(f.seconds == Approx(alone - static_cast<double>(n - 1) * shared));
}

TEST_CASE("profiler: a trial that fails on the workload's input stops the profiling, saying why") {
  Setup s(cuda_workload(2));
  ProfileStore store((s.dir.path / "profiles.db").string());
  FakePool pool;
  pool.play = [](const WorkerArgs&) { return 65; };
  const ProfileSummary sum = run_profile(s.w, s.jobs, store, s.options(pool));
  CHECK(pool.started.size() <= 2);  // those already running; nothing more starts
  CHECK_FALSE(sum.bad_input.empty());
  CHECK(sum.measured == 0);
  CHECK(store.entries().size() == static_cast<size_t>(sum.over_budget));
  TempDir d;
  std::vector<run_files::Trial> results;
  const auto v = classify_trial(66, d.path.string(), 1, "saturn worker: data/x.txt: no such file", &results);
  CHECK(v.outcome == TrialOutcome::BadInput);
  CHECK(v.why == "saturn worker: data/x.txt: no such file");
}

TEST_CASE("device groups: plans leave each GPU a reserve (default 2GiB or 5%), a cpu device none") {
  auto group_memory = [](const std::string& devices) {
    Setup s(test::with_line(5, "      devices: " + devices));
    return device_groups(s.w, true).at(0).memory;
  };
  const int64_t gib = int64_t{1} << 30;
  CHECK(group_memory("{kind: cuda, count: 8, model: H100-80GB}") == 80 * gib - 4 * gib);  // 5% of 80GiB
  CHECK(group_memory("{kind: cuda, count: 1, model: L4}") == 24 * gib - 2 * gib);          // at least 2GiB
  CHECK(group_memory("{kind: cuda, count: 1, model: H100-80GB, reserve: 1GiB}") == 79 * gib);
  CHECK(group_memory("{kind: cuda, count: 1, model: H100-80GB, reserve: 10%}") == 72 * gib);
  CHECK(group_memory("{kind: cuda, count: 1, model: H100-80GB, reserve: 0GiB}") == 80 * gib);
  CHECK(group_memory("{kind: cpu, count: 2, memory: 2GiB}") == 2 * gib);
  CHECK(group_memory("{kind: cpu, count: 2, memory: 2GiB, reserve: 512MiB}") == 2 * gib - gib / 2);
  CHECK_THAT(test::outcome_of(test::with_line(5, "      devices: {kind: cpu, count: 2, memory: 2GiB, reserve: 2GiB}")).message,
             Catch::Contains("reserve 2GiB leaves nothing of the 2GiB memory"));
  CHECK_THAT(test::outcome_of(test::with_line(5, "      devices: {kind: cuda, count: 1, model: L4, reserve: lots}")).message,
             Catch::Contains("expected a size like 2GiB, or a share of the device's memory like 5%"));
  CHECK_THAT(test::outcome_of(test::with_line(5, "      devices: {kind: cuda, count: 1, model: L4, reserve: 100%}")).message,
             Catch::Contains("expected a share of the device's memory under 100% like 5%"));
}
