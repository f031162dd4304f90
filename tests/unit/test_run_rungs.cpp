// The runner's early stopping on the fake launcher and a simulated clock:
// jobs pause at their rungs, a stopped job's devices go to a waiting job at
// once, a survivor takes more devices when they free up, every job reaches
// rung k before any goes past it, fused jobs pause with their group and
// the losers stop out of it, a diverged job is stopped without a
// retry, a fixed plan keeps its devices, and a runner killed at any rung
// decision resumes without deciding anything twice or running a stopped job.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "core/early_stopping.h"
#include "exec/runner.h"
#include "exec/state.h"
#include "fake_launcher.h"

using namespace saturn;
using saturn::test::FakeJob;
using saturn::test::FakeLauncher;
using saturn::test::JobDisk;

namespace {

struct Search {
  RunInput in;
  std::map<std::string, FakeJob> truth;
};

// Jobs "j0".."jN-1" of `steps` steps at 1 s per step (ddp x2: ddp_step s),
// each with a final metric; its metric at step s is final + 1 / s.
Search make_search(const std::vector<double>& finals, int64_t steps, const EarlyStopping& e, double ddp_step = 0,
                   int64_t devices = 2) {
  Search s;
  s.in.problem.nodes = {{"local", "cpu", devices}};
  for (size_t j = 0; j < finals.size(); ++j) {
    const std::string id = "j" + std::to_string(j);
    s.in.problem.jobs.push_back(id);
    RunJob rj{"shape", steps, {}, rung_bracket(e, j)};
    rj.rungs = rung_steps(e, steps, rj.bracket);
    s.in.jobs.push_back(rj);
    s.in.problem.options.push_back({{j}, "single", 1, 0, double(steps), ""});
    if (ddp_step > 0) s.in.problem.options.push_back({{j}, "ddp", 2, 0, ddp_step * double(steps), ""});
    FakeJob f;
    f.step_time = 1;
    f.steps = steps;
    f.multi_step_time = ddp_step;
    const double final_metric = finals[j];
    f.metric = [final_metric](int64_t step) { return final_metric + 1.0 / double(step); };
    s.truth[id] = f;
  }
  return s;
}

EarlyStopping asha(int64_t eta, int64_t min_steps, int64_t max_rungs = 5) {
  EarlyStopping e;
  e.rule = EarlyStopping::Rule::Asha;
  e.eta = eta;
  e.min_steps = min_steps;
  e.max_rungs = max_rungs;
  return e;
}

struct TempDb {
  std::string dir;
  TempDb() {
    dir = (std::filesystem::temp_directory_path() /
           ("saturn-test-rungs-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
              .string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~TempDb() { std::filesystem::remove_all(dir); }
  std::string path() const { return dir + "/state.db"; }
  static inline int counter = 0;
};

RunOptions quiet(const EarlyStopping& e) {
  RunOptions o;
  o.plan.time_limit = 2;
  o.replan_time_limit = 0.5;
  o.restart_cost = 1;
  o.early_stopping = e;
  double t = 1e9;
  o.wall_clock = [t]() mutable { return t += 0.001; };
  return o;
}

std::map<std::string, JobRecord> jobs_by_id(const RunState& st) {
  std::map<std::string, JobRecord> out;
  for (const auto& j : st.jobs()) out[j.id] = j;
  return out;
}

}  // namespace

TEST_CASE("rungs: jobs pause at their rungs, losers stop there, a stopped job's devices go to a waiting job at once") {
  // eta 2, rungs at 4 and 8 of 16 steps. j1 and j2 are worse than j0 at every rung.
  Search s = make_search({1.0, 3.0, 2.0}, 16, asha(2, 4));
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(s.truth, disk);
  const RunSummary r = run_plan(s.in, st, l, quiet(asha(2, 4)));
  CHECK(r.exit_code == 0);
  CHECK_FALSE(l.overlap);
  auto jobs = jobs_by_id(st);
  CHECK(jobs["j0"].status == JobStatus::Done);
  CHECK(r.done + r.stopped == 3);
  CHECK(r.stopped >= 1);
  // Every launch after time 0 starts when another group ends (1 s per step on one device).
  auto end_of = [](const FakeLauncher::Launch& x) { return x.at + double((x.spec.stop_at > 0 ? x.spec.stop_at : 16) - x.from); };
  for (const auto& launch : l.launches)
    if (launch.at > 0)
      CHECK(std::any_of(l.launches.begin(), l.launches.end(), [&](const auto& x) { return end_of(x) == launch.at; }));
  // Decisions are recorded, one per job and rung.
  std::set<std::pair<std::string, int64_t>> seen;
  for (const auto& d : st.rungs()) CHECK(seen.insert({d.job, d.rung}).second);
  for (const auto& [id, j] : jobs)
    if (j.status == JobStatus::Stopped) {
      CHECK(j.message.rfind("stopped early at step ", 0) == 0);
      CHECK((j.steps_done == 4 || j.steps_done == 8));
      CHECK(j.eval_loss == Approx(s.truth[id].metric(j.steps_done)));
    }
  // j0 and j1 start the first wave; j1 stops at rung 0 (t = 4) and j2 takes its device then.
  const auto j2 = std::find_if(l.launches.begin(), l.launches.end(), [](const auto& x) { return x.spec.job == "j2"; });
  REQUIRE(j2 != l.launches.end());
  CHECK(j2->at == Approx(4));
  CHECK(j2->spec.stop_at == 4);
}

TEST_CASE("rungs: a survivor alone takes both devices when the others stop (re-planned from its checkpoint)") {
  Search s = make_search({1.0, 3.0}, 32, asha(2, 4), /*ddp_step=*/0.6);
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(s.truth, disk);
  const RunSummary r = run_plan(s.in, st, l, quiet(asha(2, 4)));
  CHECK(r.exit_code == 0);
  CHECK(r.done == 1);
  CHECK(r.stopped == 1);
  std::vector<FakeLauncher::Launch> j0;
  for (const auto& x : l.launches)
    if (x.spec.job == "j0") j0.push_back(x);
  REQUIRE(j0.size() >= 2);
  CHECK(j0.front().spec.device_ids.size() == 1);  // the first wave: one device each
  CHECK(j0.back().spec.technique == "ddp");        // alone: both devices, from its checkpoint
  CHECK(j0.back().spec.device_ids.size() == 2);
  CHECK(j0.back().from > 0);
  // Each decision re-planned (not a timer): plans name early stopping.
  int replans = 0;
  for (const auto& p : st.plans()) replans += p.reason.rfind("early stopping (asha", 0) == 0;
  CHECK(replans >= 2);
}

TEST_CASE("rungs: every job reaches rung 0 before any goes past it (promotion order)") {
  Search s = make_search({1, 2, 3, 4, 5, 6, 7, 8}, 64, asha(4, 4));
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(s.truth, disk);
  run_plan(s.in, st, l, quiet(asha(4, 4)));
  double last_rung0 = 0, first_beyond = INFINITY;
  for (const auto& x : l.launches) {
    if (x.from == 0) last_rung0 = std::max(last_rung0, x.at);
    else first_beyond = std::min(first_beyond, x.at);
  }
  CHECK(last_rung0 <= first_beyond);
  const auto decisions = st.rungs();
  REQUIRE(decisions.size() >= 8);
  for (size_t k = 0; k < 8; ++k) CHECK(decisions[k].rung == 0);
}

TEST_CASE("rungs: fused jobs pause with their group, the losers stop out of it and the rest go on, fused again") {
  // Four jobs on one device; fusing a pair costs 1.2 s a step against 2 s for the two alone.
  Search s = make_search({1.0, 4.0, 2.0, 3.0}, 16, asha(2, 4), 0, /*devices=*/1);
  for (size_t a = 0; a < 4; ++a)
    for (size_t b = a + 1; b < 4; ++b) s.in.problem.options.push_back({{a, b}, "fused", 1, 0, 1.2 * 16, ""});
  for (auto& [id, f] : s.truth) f.fused_step_time = 1.2;
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(s.truth, disk);
  const RunSummary r = run_plan(s.in, st, l, quiet(asha(2, 4)));
  CHECK(r.exit_code == 0);
  CHECK_FALSE(l.overlap);
  auto jobs = jobs_by_id(st);
  CHECK(jobs["j0"].status == JobStatus::Done);
  CHECK(r.stopped >= 1);
  CHECK(r.done + r.stopped == 4);
  // The first groups are fused pairs; a pair with a loser leaves the winner going on.
  const auto first = l.launches.front();
  CHECK(first.spec.fused_with.size() == 1);
  std::map<std::string, double> stopped_at;
  for (const auto& d : st.rungs())
    if (d.stop) stopped_at[d.job] = d.step;
  bool winner_of_a_split_pair = false;
  for (const auto& x : l.launches) {
    std::vector<std::string> group = x.spec.fused_with;
    group.push_back(x.spec.job);
    for (const auto& j : group) CHECK((!stopped_at.count(j) || x.from < stopped_at[j]));  // never past its stop
    auto stops_here = [&](const std::string& j) { return stopped_at.count(j) && stopped_at[j] == double(x.spec.stop_at); };
    if (group.size() == 2 && stops_here(group[0]) != stops_here(group[1])) {
      const std::string& w = stops_here(group[0]) ? group[1] : group[0];
      winner_of_a_split_pair |= std::any_of(l.launches.begin(), l.launches.end(),
                                            [&](const auto& y) { return y.from > x.from && (y.spec.job == w || std::count(y.spec.fused_with.begin(), y.spec.fused_with.end(), w)); });
    }
  }
  CHECK(winner_of_a_split_pair);
}

TEST_CASE("rungs: a job that diverges is stopped at its next rung, not retried") {
  Search s = make_search({1.0, 2.0, 3.0}, 16, asha(2, 4));
  s.truth["j1"].diverge_at = 3;
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(s.truth, disk);
  const RunSummary r = run_plan(s.in, st, l, quiet(asha(2, 4)));
  CHECK(r.exit_code == 0);
  auto jobs = jobs_by_id(st);
  CHECK(jobs["j1"].status == JobStatus::Stopped);
  CHECK(jobs["j1"].message.find("diverged") != std::string::npos);
  int j1 = 0;
  for (const auto& x : l.launches) j1 += x.spec.job == "j1";
  CHECK(j1 == 1);
  bool found = false;
  for (const auto& x : st.rungs())
    if (x.job == "j1") {
      found = true;
      CHECK(x.stop);
      CHECK(x.reason == "diverged");
      CHECK(x.step == 4);
    }
  CHECK(found);
}

TEST_CASE("rungs: without early stopping a diverged job fails at once, without restarts") {
  Search s = make_search({1.0, 2.0}, 16, EarlyStopping{});
  s.truth["j1"].diverge_at = 3;
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(s.truth, disk);
  const RunSummary r = run_plan(s.in, st, l, quiet(EarlyStopping{}));
  CHECK(r.exit_code == 75);
  auto jobs = jobs_by_id(st);
  CHECK(jobs["j1"].status == JobStatus::Failed);
  CHECK(jobs["j1"].message == "diverged at step 3 (the loss is not finite); try a lower lr");
  CHECK(jobs["j1"].restarts == 0);
}

TEST_CASE("rungs: a fixed plan relaunches survivors where they were and leaves re-planning alone") {
  Search s = make_search({1.0, 3.0, 2.0, 4.0}, 16, asha(2, 4), /*ddp_step=*/0.6);
  TempDb db;
  RunState st(db.path());
  JobDisk disk;
  FakeLauncher l(s.truth, disk);
  RunOptions o = quiet(asha(2, 4));
  o.rung_replan = false;
  const RunSummary r = run_plan(s.in, st, l, o);
  CHECK(r.exit_code == 0);
  CHECK(st.plans().size() == 1);  // never re-planned
  CHECK(r.stopped >= 1);
  CHECK_FALSE(l.overlap);
  // A stopped job's devices stay idle for the steps it would have trained
  // (1 s each): no launch there before then, as without joint planning.
  auto events = st.events();
  for (const auto& e : events) {
    if (e.kind != "idle") continue;
    const auto stop = std::find_if(l.launches.rbegin(), l.launches.rend(), [&](const auto& x) { return x.spec.job == e.job; });
    REQUIRE(stop != l.launches.rend());
    const double stopped_at = stop->at + double(stop->spec.stop_at - stop->from);
    const double idle_end = stopped_at + double(16 - stop->spec.stop_at) * (stop->spec.device_ids.size() > 1 ? 0.6 : 1.0);
    for (const auto& x : l.launches)
      if (x.at > stopped_at - 1e-9 && x.spec.device_ids == stop->spec.device_ids) CHECK(x.at >= idle_end - 1e-9);
  }
  CHECK(std::count_if(events.begin(), events.end(), [](const auto& e) { return e.kind == "idle"; }) == r.stopped);
}

TEST_CASE("rungs: a runner killed at any rung decision resumes without deciding twice or running a stopped job") {
  const std::vector<double> finals = {2.0, 1.0, 3.0, 1.5, 2.5, 0.5};
  const EarlyStopping e = asha(2, 2, 3);
  // The run without a kill.
  std::vector<RungDecision> reference;
  {
    Search s = make_search(finals, 16, e);
    TempDb db;
    RunState st(db.path());
    JobDisk disk;
    FakeLauncher l(s.truth, disk);
    run_plan(s.in, st, l, quiet(e));
    reference = st.rungs();
  }
  REQUIRE(reference.size() >= 8);
  for (size_t kill_at = 1; kill_at < reference.size(); ++kill_at) {
    DYNAMIC_SECTION("killed after decision " << kill_at) {
      Search s = make_search(finals, 16, e);
      TempDb db;
      JobDisk disk;
      std::vector<RungDecision> before;
      {
        RunState st(db.path());
        FakeLauncher l(s.truth, disk);
        RunOptions o = quiet(e);
        size_t n = 0;
        struct Killed {};
        o.on_event = [&](const EventRecord& ev) {
          if (ev.kind == "rung" && ++n == kill_at) throw Killed{};  // after the decision is stored, before it acts
        };
        CHECK_THROWS_AS(run_plan(s.in, st, l, o), Killed);
        before = st.rungs();
      }
      RunState st(db.path());
      FakeLauncher l(s.truth, disk);
      const RunSummary r = run_plan(s.in, st, l, quiet(e));
      CHECK(r.exit_code == 0);
      const auto after = st.rungs();
      REQUIRE(after.size() >= before.size());
      for (size_t k = 0; k < before.size(); ++k) CHECK(after[k] == before[k]);  // kept, never decided again
      std::set<std::pair<std::string, int64_t>> seen;
      for (const auto& d : after) CHECK(seen.insert({d.job, d.rung}).second);
      std::set<std::string> stopped;
      for (const auto& d : before)
        if (d.stop) stopped.insert(d.job);
      for (const auto& x : l.launches) CHECK(stopped.count(x.spec.job) == 0);  // a stopped job never runs again
      CHECK(after == reference);  // the same decisions as the run that was never killed
      CHECK(jobs_by_id(st)["j5"].status == JobStatus::Done);
    }
  }
}
