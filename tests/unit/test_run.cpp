// The runner's logic on a fake launcher and a simulated clock: plan order
// and disjoint devices, restarts, failures, stop signals, resume after a
// runner dies, and introspection (re-plan around a wrong profile; move only
// the jobs that gain). The state is a real state.db in a temporary folder.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include <sqlite3.h>

#include "exec/dispatch.h"
#include "exec/replan.h"
#include "exec/runner.h"
#include "exec/state.h"
#include "fake_launcher.h"

using namespace saturn;
using saturn::test::FakeJob;
using saturn::test::FakeLauncher;
using saturn::test::JobDisk;

namespace {

struct TestJob {
  std::string id;
  int64_t steps;
  double planned_step;       // what the profile says (one device)
  double true_step;          // what it takes
  double planned_ddp = 0;    // > 0: a ddp x2 option with this planned step time
  double true_ddp = 0;
};

struct Case {
  RunInput in;
  std::map<std::string, FakeJob> truth;
};

Case make_case(const std::vector<TestJob>& jobs, int64_t devices = 2) {
  Case c;
  c.in.problem.nodes = {{"local", "cpu", devices}};
  for (size_t j = 0; j < jobs.size(); ++j) {
    const auto& t = jobs[j];
    c.in.problem.jobs.push_back(t.id);
    c.in.jobs.push_back({t.id, t.steps, {}, 0});
    c.in.problem.options.push_back({{j}, "single", 1, 0, t.planned_step * double(t.steps), ""});
    if (t.planned_ddp > 0) c.in.problem.options.push_back({{j}, "ddp", 2, 0, t.planned_ddp * double(t.steps), ""});
    c.truth[t.id] = {t.true_step, t.steps, t.true_ddp, 0, {}, 0};
  }
  return c;
}

struct TempDb {
  std::string dir;
  TempDb() {
    dir = (std::filesystem::temp_directory_path() / ("saturn-test-run-" + std::to_string(::getpid()) + "-" +
                                                     std::to_string(counter++)))
              .string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~TempDb() { std::filesystem::remove_all(dir); }
  std::string path() const { return dir + "/state.db"; }
  static inline int counter = 0;
};

RunOptions quiet(double interval = 0, double threshold = 0) {
  RunOptions o;
  o.plan.time_limit = 2;
  o.replan_time_limit = 0.5;
  o.interval = interval;
  o.threshold = threshold;
  o.restart_cost = 1;
  o.tick = 1;
  double t = 1e9;
  o.wall_clock = [t]() mutable { return t += 0.001; };
  return o;
}

std::map<std::string, std::vector<AttemptRecord>> attempts_by_job(const RunState& st) {
  std::map<std::string, std::vector<AttemptRecord>> out;
  for (const auto& a : st.attempts()) out[a.job].push_back(a);
  return out;
}

}  // namespace

TEST_CASE("dispatch: per-device plan order, running items first") {
  // Two devices; item 1 (both devices) waits for item 0; item 2 waits for item 1.
  std::vector<DispatchItem> items = {{0, {0}, 5, false}, {0, {0, 1}, 2, false}, {0, {1}, 1, false}};
  std::vector<double> starts;
  CHECK(simulate_dispatch(items, &starts) == Approx(8));
  CHECK(starts == std::vector<double>{0, 5, 7});
  items[0].running = true;
  items[0].duration = 1;
  CHECK(simulate_dispatch(items) == Approx(4));
}

TEST_CASE("runner: a fresh run follows the plan on disjoint devices and ends with every job done") {
  Case c = make_case({{"a", 10, 1, 1}, {"b", 20, 1, 1}, {"c", 5, 1, 1}, {"d", 15, 1, 1}, {"e", 8, 1, 1}});
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(c.truth, disk);
  const RunSummary s = run_plan(c.in, st, l, quiet());
  CHECK(s.exit_code == 0);
  CHECK(s.done == 5);
  CHECK_FALSE(l.overlap);
  CHECK(l.launches.size() == 5);
  // True times equal the planned ones: the run takes exactly the predicted makespan.
  CHECK(s.elapsed == Approx(s.predicted));
  CHECK(s.predicted == Approx(30));  // the optimum: no subset of {10, 20, 5, 15, 8} sums to 29
  for (const auto& j : st.jobs()) {
    CHECK(j.status == JobStatus::Done);
    CHECK(j.steps_done == j.steps_total);
  }
  REQUIRE(st.plans().size() == 1);
  CHECK(st.plans()[0].reason == "initial");
  for (const auto& a : st.attempts()) CHECK(a.outcome == "done");
}

TEST_CASE("runner: a worker that dies restarts from its checkpoint, with no restarts left it fails alone") {
  Case c = make_case({{"a", 40, 1, 1}, {"b", 40, 1, 1}, {"c", 10, 1, 1}});
  TempDb db;  // each section runs from the top: a fresh state and launcher
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(c.truth, disk);
  l.fail_at_step[{"b", 1}] = 25;
  RunOptions o = quiet();
  SECTION("restarted") {
    o.max_restarts = 1;
    const RunSummary s = run_plan(c.in, st, l, o);
    CHECK(s.exit_code == 0);
    CHECK(s.done == 3);
    auto by = attempts_by_job(st);
    REQUIRE(by["b"].size() == 2);
    CHECK(by["b"][0].outcome == "failed");
    CHECK(by["b"][0].exit_code == 1);
    CHECK(by["b"][1].outcome == "done");
    CHECK(by["b"][1].step_start == 20);  // the checkpoint before step 25
    CHECK(by["a"].size() == 1);
    for (const auto& j : st.jobs())
      if (j.id == "b") CHECK(j.restarts == 1);
  }
  SECTION("max_restarts 0") {
    o.max_restarts = 0;
    const RunSummary s = run_plan(c.in, st, l, o);
    CHECK(s.exit_code == 75);
    CHECK(s.done == 2);
    CHECK(s.failed == 1);
    for (const auto& j : st.jobs()) {
      if (j.id == "b") {
        CHECK(j.status == JobStatus::Failed);
        CHECK(j.message == "exit code 1");
      } else {
        CHECK(j.status == JobStatus::Done);
      }
    }
    // A second run retries the failed job only.
    FakeLauncher again(c.truth, disk);
    const RunSummary s2 = run_plan(c.in, st, again, o);
    CHECK(s2.exit_code == 0);
    REQUIRE(again.launches.size() == 1);
    CHECK(again.launches[0].spec.job == "b");
    CHECK(again.launches[0].from == 20);
  }
}

TEST_CASE("runner: a worker that fails on its input (exit 65 or 66) is never restarted; the run exits 65") {
  Case c = make_case({{"a", 40, 1, 1}, {"b", 40, 1, 1}, {"c", 10, 1, 1}});
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(c.truth, disk);
  const int code = GENERATE(65, 66);
  l.fail_at_step[{"b", 1}] = 1;
  l.fail_code["b"] = code;
  l.words["b"] = "trunc/model.safetensors: tensor \"w\": data_offsets end at byte 902400, past the 867896 bytes of data";
  RunOptions o = quiet();
  o.max_restarts = 2;
  const RunSummary s = run_plan(c.in, st, l, o);
  CHECK(s.exit_code == 65);
  CHECK(s.done == 2);
  CHECK(s.failed == 1);
  auto by = attempts_by_job(st);
  REQUIRE(by["b"].size() == 1);  // no restart spent: it would fail again
  CHECK(by["b"][0].exit_code == code);
  for (const auto& j : st.jobs())
    if (j.id == "b") {
      CHECK(j.status == JobStatus::Failed);
      CHECK(j.restarts == 0);
      CHECK(j.message == "bad input (exit " + std::to_string(code) + "): " + l.words["b"]);
    }
}

TEST_CASE("runner: SIGTERM checkpoints every job and exits 143, the next run resumes with the same strategies") {
  Case c = make_case({{"a", 30, 1, 1, 0.6, 0.6}, {"b", 30, 1, 1}, {"c", 20, 1, 1}});
  TempDb db;
  JobDisk disk;
  std::vector<FakeLauncher::Launch> first;
  {
    RunState st(db.path());
    FakeLauncher l(c.truth, disk);
    l.signals = {{7.5, SIGTERM}};
    const RunSummary s = run_plan(c.in, st, l, quiet());
    CHECK(s.exit_code == 143);
    CHECK(s.done == 0);
    CHECK_FALSE(l.launches.empty());
    first = l.launches;
    for (const auto& a : st.attempts()) {
      CHECK(a.outcome == "stopped");
      CHECK(a.exit_code == 143);
      CHECK(a.step_end > 0);
    }
    for (const auto& j : st.jobs()) CHECK(j.status == JobStatus::Pending);
  }
  RunState st(db.path());
  FakeLauncher l(c.truth, disk);
  const RunSummary s = run_plan(c.in, st, l, quiet());
  CHECK(s.exit_code == 0);
  CHECK(s.resumed);
  CHECK(s.done == 3);
  CHECK(s.plan_versions == 0);  // the stored plan, unchanged
  for (const auto& f : first)
    for (const auto& again : l.launches)
      if (again.spec.job == f.spec.job) {
        CHECK(again.spec.technique == f.spec.technique);
        CHECK(again.spec.device_ids.size() == f.spec.device_ids.size());
        CHECK(again.from > 0);
      }
}

TEST_CASE("runner: SIGUSR1 (Slurm's time-limit warning) stops like SIGTERM, steps exiting 138 are stopped") {
  Case c = make_case({{"a", 30, 1, 1}, {"b", 30, 1, 1}});
  TempDb db;
  JobDisk disk;
  {
    RunState st(db.path());
    FakeLauncher l(c.truth, disk);
    l.stop_signal = SIGUSR1;  // srun forwards SIGUSR1 to every task of the step
    l.signals = {{7.5, SIGUSR1}};
    const RunSummary s = run_plan(c.in, st, l, quiet());
    CHECK(s.exit_code == 128 + SIGUSR1);
    for (const auto& a : st.attempts()) {
      CHECK(a.outcome == "stopped");
      CHECK(a.exit_code == 128 + SIGUSR1);
    }
    bool said = false;
    for (const auto& e : st.events()) said |= e.message.find("SIGUSR1 (time limit near)") != std::string::npos;
    CHECK(said);
  }
  RunState st(db.path());
  FakeLauncher l(c.truth, disk);
  const RunSummary s = run_plan(c.in, st, l, quiet());
  CHECK(s.done == 2);
  for (const auto& launch : l.launches) CHECK(launch.from > 0);  // resumed from the checkpoints
}

TEST_CASE("runner: a worker stopped by a signal from outside starts again from its checkpoint, no restart spent") {
  Case c = make_case({{"a", 30, 1, 1}, {"b", 30, 1, 1}});
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(c.truth, disk);
  l.signalled_at_step[{"a", 1}] = {12, SIGTERM};  // e.g. Slurm preempting the step
  l.signalled_at_step[{"a", 2}] = {20, SIGUSR1};  // --signal=USR1 sent to the steps
  l.signalled_at_step[{"b", 1}] = {0, SIGTERM};   // before any progress: a failure like any other
  RunOptions o = quiet();
  o.max_restarts = 1;
  const RunSummary s = run_plan(c.in, st, l, o);
  CHECK(s.exit_code == 0);
  CHECK(s.done == 2);
  auto by = attempts_by_job(st);
  REQUIRE(by["a"].size() == 3);
  CHECK(by["a"][0].outcome == "stopped");
  CHECK(by["a"][0].step_end == 12);
  CHECK(by["a"][1].exit_code == 128 + SIGUSR1);
  CHECK(by["a"][1].outcome == "stopped");
  CHECK(by["a"][2].step_start == 20);
  CHECK(by["a"][2].outcome == "done");
  REQUIRE(by["b"].size() == 2);
  CHECK(by["b"][0].outcome == "failed");
  for (const auto& j : st.jobs()) CHECK(j.restarts == (j.id == "b" ? 1 : 0));
}

TEST_CASE("runner: a worker stopped from outside just before saturn itself (scancel) is not started again") {
  Case c = make_case({{"a", 30, 1, 1}, {"b", 30, 1, 1}});
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(c.truth, disk);
  l.signalled_at_step[{"a", 1}] = {12, SIGTERM};  // the step's SIGTERM comes first,
  l.signals = {{13.0, SIGTERM}};                  // the batch script's a second later
  const RunSummary s = run_plan(c.in, st, l, quiet());
  CHECK(s.exit_code == 128 + SIGTERM);
  auto by = attempts_by_job(st);
  REQUIRE(by["a"].size() == 1);  // before, a second attempt began at once and failed in the cancelled job
  CHECK(by["a"][0].outcome == "stopped");
  REQUIRE(by["b"].size() == 1);
  CHECK(by["b"][0].outcome == "stopped");
}

TEST_CASE("runner: a stored plan for other nodes is planned again on resume") {
  // A requeued Slurm job can land on other hosts: the stored plan names nodes
  // this cluster lacks, so what is left is planned here (it used to throw).
  Case c = make_case({{"a", 30, 1, 1}, {"b", 30, 1, 1}, {"c", 20, 1, 1}});
  TempDb db;
  JobDisk disk;
  {
    RunState st(db.path());
    FakeLauncher l(c.truth, disk);
    l.signals = {{7.5, SIGTERM}};
    CHECK(run_plan(c.in, st, l, quiet()).exit_code == 143);
  }
  c.in.problem.nodes = {{"gpu07", "cpu", 2}};
  RunState st(db.path());
  FakeLauncher l(c.truth, disk);
  const RunSummary s = run_plan(c.in, st, l, quiet());
  CHECK(s.exit_code == 0);
  CHECK(s.done == 3);
  CHECK(s.plan_versions == 1);
  CHECK_FALSE(l.overlap);
  bool replanned = false;
  for (const auto& e : st.events())
    replanned |= e.kind == "replan" &&
                 e.message.rfind("the stored plan v1 does not fit this cluster (plan.json: job ", 0) == 0 &&
                 e.message.find(": node local is not in the cluster): planning the remaining jobs again") !=
                     std::string::npos;
  CHECK(replanned);
  bool resumed_one = false;
  for (const auto& launch : l.launches) {
    CHECK(launch.spec.node == "gpu07");
    resumed_one |= launch.from > 0;  // from its checkpoint, not from scratch
  }
  CHECK(resumed_one);
}

TEST_CASE("runner: a second SIGINT stops at once") {
  Case c = make_case({{"a", 30, 1, 1}, {"b", 30, 1, 1}});
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(c.truth, disk);
  l.signals = {{5.2, SIGINT}, {5.5, SIGINT}};
  const RunSummary s = run_plan(c.in, st, l, quiet());
  CHECK(s.exit_code == 130);
  CHECK(l.now() == Approx(5.5));
  for (const auto& a : st.attempts()) CHECK(a.exit_code == 128 + SIGKILL);
  bool killed = false;
  for (const auto& e : st.events()) killed |= e.kind == "kill";
  CHECK(killed);
}

TEST_CASE("runner: after a runner dies mid-run, the next one ends its leftover workers, marks their attempts lost and finishes") {
  Case c = make_case({{"a", 30, 1, 1}, {"b", 30, 1, 1}, {"c", 10, 1, 1}});
  TempDb db;
  JobDisk disk;
  {
    RunState st(db.path());
    FakeLauncher l(c.truth, disk);
    RunOptions o = quiet();
    int starts = 0;
    struct Died {};
    o.on_event = [&](const EventRecord& e) {
      if (e.kind == "start" && ++starts == 2) throw Died{};  // the runner "is killed" here
    };
    CHECK_THROWS_AS(run_plan(c.in, st, l, o), Died);
  }
  RunState st(db.path());
  FakeLauncher l(c.truth, disk);
  l.orphans = {4242};  // the killed runner's workers still run
  l.on_orphan = [&](int64_t) { disk.checkpoint["a"] = 7; };  // stopped, they checkpoint on their way out
  const RunSummary s = run_plan(c.in, st, l, quiet());
  CHECK(s.exit_code == 0);
  CHECK(s.done == 3);
  CHECK(l.ended_orphans == std::vector<int64_t>{4242});
  int lost = 0;
  for (const auto& a : st.attempts()) lost += a.outcome == "lost";
  CHECK(lost == 2);
  int told = 0;
  for (const auto& e : st.events())
    told += e.kind == "lost" && e.message.find("its workers (pid 4242) were still there: stopped them") != std::string::npos;
  CHECK(told == 1);
  for (const auto& launch : l.launches)
    if (launch.spec.job == "a") CHECK(launch.from == 7);
}

TEST_CASE("runner: introspection re-plans around a wrong profile without restarting unchanged jobs") {
  // The profile says a takes 40 s (it takes 4): the plan gives it a device
  // of its own and queues b1..b4 (10 s each) on the other.
  Case c = make_case({{"a", 40, 1, 0.1}, {"b1", 10, 1, 1}, {"b2", 10, 1, 1}, {"b3", 10, 1, 1}, {"b4", 10, 1, 1}});
  double sticking = 0;
  {
    TempDb db;
    RunState st(db.path());
    JobDisk disk;
    FakeLauncher l(c.truth, disk);
    const RunSummary s = run_plan(c.in, st, l, quiet());
    CHECK(s.predicted == Approx(40));
    sticking = s.elapsed;
    CHECK(sticking == Approx(40));
  }
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(c.truth, disk);
  const RunSummary s = run_plan(c.in, st, l, quiet(5, 1));
  CHECK(s.exit_code == 0);
  CHECK(s.done == 5);
  CHECK(s.plan_versions >= 2);
  CHECK(s.elapsed <= 26);
  CHECK(s.elapsed < sticking);
  CHECK_FALSE(l.overlap);
  // Nobody was stopped: the running b job went on, the queued ones moved.
  for (const auto& [job, tries] : attempts_by_job(st)) {
    CHECK(tries.size() == 1);
    CHECK(tries[0].outcome == "done");
  }
}

TEST_CASE("runner: learning from the run: a first step rate far from the estimate re-plans at once, no timer") {
  // As above: a is estimated at 40 s, takes 4. No introspection timer
  // (interval 0) and a threshold far above what the run can gain: only the
  // learned rate, with its gain relative to what is left, can re-plan.
  Case c = make_case({{"a", 40, 1, 0.1}, {"b1", 10, 1, 1}, {"b2", 10, 1, 1}, {"b3", 10, 1, 1}, {"b4", 10, 1, 1}});
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(c.truth, disk);
  RunOptions o = quiet(0, 1000);
  o.learn_margin = 0.02;
  std::vector<std::pair<size_t, double>> rates;
  o.on_rate = [&](size_t j, size_t option, double step) {
    CHECK(option == j);
    rates.push_back({j, step});
  };
  const RunSummary s = run_plan(c.in, st, l, o);
  CHECK(s.exit_code == 0);
  CHECK(s.done == 5);
  CHECK(s.plan_versions >= 2);
  CHECK(s.elapsed <= 26);  // sticking to the first plan: 40 s
  // Each group's first rate of each attempt is reported once, a's as measured.
  std::set<size_t> seen;
  for (const auto& [j, step] : rates) {
    CHECK(seen.insert(j).second);
    CHECK(step == Approx(j == 0 ? 0.1 : 1.0));
  }
  CHECK(seen.size() == 5);
  bool learned = false;
  for (const auto& p : st.plans()) learned |= p.reason.rfind("learned a steps in", 0) == 0;
  CHECK(learned);
  for (const auto& [job, tries] : attempts_by_job(st)) CHECK(tries.size() == 1);
  // A rate within the trigger re-plans nothing.
  Case near = make_case({{"a", 40, 1, 0.95}, {"b1", 10, 1, 1}});
  TempDb db2;
  RunState st2(db2.path());
  JobDisk disk2;
  FakeLauncher l2(near.truth, disk2);
  RunOptions o2 = quiet(0, 1000);
  o2.learn_margin = 0.02;
  CHECK(run_plan(near.in, st2, l2, o2).plan_versions == 1);
}

TEST_CASE("runner: a strategy that does not fit is recorded, dropped and re-planned at once, no restart spent") {
  // a's ddp x2 is planned fastest but runs out of memory: with no restarts
  // allowed at all, a still trains, on one device, and b is planned around it.
  Case c = make_case({{"a", 20, 1, 1, 0.3, 0.3}, {"b", 10, 1, 1}, {"a2", 20, 1, 1, 0.3, 0.3}});
  c.truth["a"].unfit = "ddp";
  c.truth["a2"].unfit = "ddp";
  c.in.jobs[2].shape = c.in.jobs[0].shape = "shape-a";
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(c.truth, disk);
  RunOptions o = quiet();
  o.max_restarts = 0;
  std::vector<std::string> unfit;
  o.on_infeasible = [&](size_t j, size_t option, const std::string& why) {
    unfit.push_back(c.in.problem.jobs[j] + " " + c.in.problem.options[option].label() + ": " + why);
  };
  const RunSummary s = run_plan(c.in, st, l, o);
  CHECK(s.exit_code == 0);
  CHECK(s.done == 3);
  // Only the first try of the strategy is spent: the other job of the shape never runs it.
  REQUIRE(unfit.size() == 1);
  const std::string first = unfit[0].substr(0, unfit[0].find(' '));
  const std::string other = first == "a" ? "a2" : "a";
  CHECK(unfit[0] == first + " ddp x2: out of memory: tried to allocate 2.00 GiB");
  auto by = attempts_by_job(st);
  REQUIRE(by[first].size() == 2);
  CHECK(by[first][0].outcome == "infeasible");
  CHECK(by[first][0].technique == "ddp");
  CHECK(by[first][1].technique == "single");
  CHECK(by[first][1].outcome == "done");
  for (const auto& t : by[other]) CHECK(t.technique == "single");
  for (const auto& j : st.jobs()) CHECK(j.restarts == 0);
  bool replanned = false;
  for (const auto& p : st.plans()) replanned |= p.reason == "infeasible: " + first + ": ddp x2 does not fit";
  CHECK(replanned);
  // A job whose every strategy does not fit fails with why, and the others go on.
  Case only = make_case({{"x", 10, 1, 1}, {"y", 10, 1, 1}});
  only.truth["x"].unfit = "single";
  TempDb db2;
  RunState st2(db2.path());
  JobDisk disk2;
  FakeLauncher l2(only.truth, disk2);
  const RunSummary s2 = run_plan(only.in, st2, l2, quiet());
  CHECK(s2.done == 1);
  CHECK(s2.failed == 1);
  for (const auto& j : st2.jobs())
    if (j.id == "x") CHECK(j.message == "no strategy fits: single x1 did not (out of memory: tried to allocate 2.00 GiB)");
}

TEST_CASE("runner: introspection moves only the job whose strategy should change") {
  // a is 3x slower than profiled; once measured, a alone on one device
  // (25 s left) loses to stopping it and running it data parallel on both
  // devices after b ends. b keeps running untouched.
  Case c = make_case({{"a", 100, 0.1, 0.3, 0.06, 0.18}, {"b", 10, 1, 1}});
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(c.truth, disk);
  const RunSummary s = run_plan(c.in, st, l, quiet(5, 1));
  CHECK(s.exit_code == 0);
  CHECK(s.plan_versions == 2);
  CHECK(s.elapsed < 30);  // sticking: 30 s
  auto by = attempts_by_job(st);
  REQUIRE(by["a"].size() == 2);
  CHECK(by["a"][0].outcome == "preempted");
  CHECK(by["a"][0].technique == "single");
  CHECK(by["a"][1].technique == "ddp");
  CHECK(by["a"][1].step_start == by["a"][0].step_end);
  REQUIRE(by["b"].size() == 1);
  CHECK(by["b"][0].outcome == "done");
}

TEST_CASE("run state: round trip of jobs, attempts, plans and events") {
  TempDb db;
  {
    RunState st(db.path());
    JobRecord j;
    j.id = "m/lr=1e-3";
    j.status = JobStatus::Done;
    j.steps_total = 100;
    j.steps_done = 100;
    j.final_loss = 2.5;
    st.put_job(j);
    AttemptRecord a;
    a.job = j.id;
    a.number = 1;
    a.technique = "ddp";
    a.devices = 2;
    a.node = "local";
    a.device_ids = "0,1";
    a.started = 10;
    const int64_t id = st.begin_attempt(a);
    st.end_attempt(id, 20, 0, "done", 100);
    CHECK(st.add_plan({0, 5, 42, "initial", "{}"}) == 1);
    st.event(11, "start", j.id, "hello");
  }
  RunState st(db.path(), true);
  auto jobs = st.jobs();
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].status == JobStatus::Done);
  CHECK(jobs[0].final_loss == 2.5);
  CHECK(std::isnan(jobs[0].eval_loss));
  auto at = st.attempts();
  REQUIRE(at.size() == 1);
  CHECK(at[0].ended == 20);
  CHECK(at[0].outcome == "done");
  CHECK(at[0].device_ids == "0,1");
  CHECK(st.latest_plan()->makespan == 42);
  CHECK(st.events().at(0).message == "hello");
  CHECK_THROWS_WITH(RunState(db.dir + "/nope.db", true), Catch::Contains("nope.db: no such run state"));
}

TEST_CASE("replan: re-times the current plan and adopts a new one only past the threshold") {
  PlanProblem p;
  p.nodes = {{"local", "cpu", 2}};
  p.jobs = {"a", "b", "c"};
  for (size_t j = 0; j < 3; ++j) p.options.push_back({{j}, "single", 1, 0, 10, ""});
  Plan current;  // a then b on device 0, c on device 1
  current.items = {{0, {0}, 0, 10, false}, {2, {1}, 0, 10, false}, {1, {0}, 10, 20, false}};
  finish_plan(current, p);
  std::vector<JobNow> now(3);
  now[0].running = true;  // a: half done, 5 s left by measurement
  now[0].option = 0;
  now[0].device_ids = {0};
  now[0].left = 0.5;
  now[0].remaining_s = 5;
  now[2].finished = true;  // c is done: device 1 is idle, b still queued behind a
  ReplanOptions o;
  o.plan.time_limit = 1;
  o.threshold = 6;
  Replan kept = replan(p, current, now, o);
  CHECK_FALSE(kept.adopt);
  CHECK(kept.current == Approx(15));
  CHECK(kept.proposed == Approx(10));
  o.threshold = 1;
  Replan moved = replan(p, current, now, o);
  REQUIRE(moved.adopt);
  CHECK(moved.moved.empty());
  REQUIRE(moved.plan.items.size() == 2);
  for (const auto& a : moved.plan.items) {
    if (a.option == 1) CHECK(a.device_ids == std::vector<int64_t>{1});  // b moves to the idle device
    if (a.option == 0) CHECK(a.pinned);
  }
  CHECK(moved.plan.makespan == Approx(10));
}

TEST_CASE("dispatch: the queue-head simulation matches the rule applied naively") {
  // The rule as written in dispatch.h, one pass over every item per event.
  auto naive = [](const std::vector<DispatchItem>& items) {
    std::vector<bool> started(items.size(), false);
    std::map<std::pair<size_t, int64_t>, double> free_at;
    std::vector<double> end(items.size(), 0);
    for (size_t i = 0; i < items.size(); ++i)
      if (items[i].running) {
        started[i] = true;
        end[i] = items[i].duration;
        for (int64_t d : items[i].device_ids) free_at[{items[i].node, d}] = end[i];
      }
    double now = 0;
    for (;;) {
      for (size_t i = 0; i < items.size(); ++i) {
        auto busy = [&](size_t node, int64_t d) {
          auto f = free_at.find({node, d});
          return f != free_at.end() && f->second > now;
        };
        if (started[i] || !may_start(items, started, i, busy)) continue;
        started[i] = true;
        end[i] = now + items[i].duration;
        for (int64_t d : items[i].device_ids) free_at[{items[i].node, d}] = end[i];
      }
      double next = INFINITY;
      for (const auto& [dev, t] : free_at)
        if (t > now) next = std::min(next, t);
      if (next == INFINITY) break;
      now = next;
    }
    return *std::max_element(end.begin(), end.end());
  };
  std::mt19937 rng(7);
  for (int round = 0; round < 40; ++round) {
    std::vector<DispatchItem> items;
    const int n = 5 + static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) {
      DispatchItem it;
      it.node = rng() % 2;
      const int64_t k = 1 + static_cast<int64_t>(rng() % 3);
      std::vector<int64_t> all = {0, 1, 2, 3};
      std::shuffle(all.begin(), all.end(), rng);
      it.device_ids.assign(all.begin(), all.begin() + k);
      std::sort(it.device_ids.begin(), it.device_ids.end());
      it.duration = 1 + static_cast<double>(rng() % 20);
      items.push_back(it);
    }
    items[0].running = true;  // one already running
    CHECK(simulate_dispatch(items) == Approx(naive(items)));
  }
}

TEST_CASE("runner: a fused group runs as one worker group, stops and resumes together") {
  // 4 jobs of 20 steps on one device: 1 s a step each, 2 s a step fused.
  Case c = make_case({{"a", 20, 1, 1}, {"b", 20, 1, 1}, {"c", 20, 1, 1}, {"d", 20, 1, 1}}, 1);
  c.in.problem.options.push_back({{0, 1, 2, 3}, "fused", 1, 0, 40, "k=4"});
  c.truth["a"].fused_step_time = 2;
  TempDb db;
  JobDisk disk;
  {
    RunState st(db.path());
    FakeLauncher l(c.truth, disk);
    l.signals = {{15, SIGTERM}};
    const RunSummary s = run_plan(c.in, st, l, quiet());
    CHECK(s.exit_code == 128 + SIGTERM);
    REQUIRE(l.launches.size() == 1);
    CHECK(l.launches[0].spec.job == "a");
    CHECK(l.launches[0].spec.fused_with == std::vector<std::string>{"b", "c", "d"});
    CHECK(l.launches[0].spec.technique == "fused");
    CHECK(l.launches[0].spec.knobs == "k=4");
    const auto by_job = attempts_by_job(st);
    for (const char* j : {"a", "b", "c", "d"}) {
      REQUIRE(by_job.at(j).size() == 1);
      CHECK(by_job.at(j)[0].outcome == "stopped");
      CHECK(by_job.at(j)[0].step_end == 8);  // the step in flight at 15 s, then a checkpoint
    }
  }
  RunState st(db.path());
  FakeLauncher l(c.truth, disk);
  const RunSummary s = run_plan(c.in, st, l, quiet());
  CHECK(s.exit_code == 0);
  CHECK(s.done == 4);
  REQUIRE(l.launches.size() == 1);
  CHECK(l.launches[0].from == 8);
  CHECK(l.launches[0].spec.fused_with.size() == 3);
  CHECK(s.elapsed == Approx(24));  // 12 steps of the group at 2 s
  for (const auto& j : st.jobs()) CHECK(j.status == JobStatus::Done);
}

TEST_CASE("run state: a schema-1 file (before jobs kept their trained tokens and rungs) is read as it is and upgraded when written") {
  TempDb db;
  {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.path().c_str(), &h) == SQLITE_OK);
    REQUIRE(sqlite3_exec(h,
                         "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                         "INSERT INTO meta VALUES ('schema_version', '1');"
                         "CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
                         " status TEXT NOT NULL, steps_total INTEGER NOT NULL, steps_done INTEGER NOT NULL,"
                         " restarts INTEGER NOT NULL, final_loss REAL, eval_loss REAL, wall_s REAL NOT NULL,"
                         " strategy TEXT NOT NULL, message TEXT NOT NULL);"
                         "INSERT INTO jobs (id, status, steps_total, steps_done, restarts, final_loss, eval_loss, wall_s,"
                         " strategy, message) VALUES ('a', 'done', 10, 10, 0, 1.5, NULL, 3.0, 'single x1 on local', '');",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(h);
  }
  {
    RunState read(db.path(), /*read_only=*/true);
    REQUIRE(read.jobs().size() == 1);
    CHECK(read.jobs()[0].tokens == 0);
    CHECK(read.meta("schema_version") == std::optional<std::string>("1"));
    CHECK(read.rungs().empty());
  }
  RunState st(db.path());
  CHECK(st.meta("schema_version") == std::optional<std::string>("3"));
  RungDecision d{"a", 0, 0, 4, NAN, true, 0, 1, 1, NAN, "diverged"};
  st.add_rung(d, 1.0);
  REQUIRE(st.rungs().size() == 1);
  CHECK(std::isinf(st.rungs()[0].metric));  // not finite: ranks last, as when it was decided
  CHECK(st.rungs()[0].reason == "diverged");
  auto a = st.jobs().at(0);
  CHECK(a.final_loss == 1.5);
  a.tokens = 123456;
  st.put_job(a);
  CHECK(st.jobs().at(0).tokens == 123456);
}
