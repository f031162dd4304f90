// The runner's stall watchdog on the fake launcher and a simulated clock: a
// group that stops answering (no heartbeat: a stopped process; a heartbeat
// but no step: a hung collective) is stopped, killed after the grace period
// and restarted from its checkpoint as a failure; a slow group that moves,
// and a long evaluation, never are.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "exec/runner.h"
#include "exec/state.h"
#include "fake_launcher.h"
#include "temp_dir.h"

using namespace saturn;
using saturn::test::FakeJob;
using saturn::test::FakeLauncher;
using saturn::test::JobDisk;
using saturn::test::TempDir;

namespace {

// Jobs of 100 steps, one device each, planned at 1 s per step; job k trains
// at true_steps[k] s per step.
struct Stall {
  RunInput in;
  std::map<std::string, FakeJob> truth;
  TempDir dir{"stall"};
  JobDisk disk;
  RunOptions o;

  explicit Stall(const std::vector<double>& true_steps) {
    in.problem.nodes = {{"local", "cpu", 2}};
    for (size_t j = 0; j < true_steps.size(); ++j) {
      const std::string id = std::string(1, char('a' + j));
      in.problem.jobs.push_back(id);
      in.jobs.push_back({id, 100, {}, 0});
      in.problem.options.push_back({{j}, "single", 1, 0, 100.0, ""});
      FakeJob f;
      f.step_time = true_steps[j];
      f.steps = 100;
      truth[id] = f;
    }
    o.plan.time_limit = 2;
    o.tick = 1;
    o.stall_factor = 20;
    o.stall_floor = 30;
    o.stall_grace = 10;
    double t = 1e9;
    o.wall_clock = [t]() mutable { return t += 0.001; };
  }
  std::string path() const { return (dir.path / "state.db").string(); }
};

std::vector<EventRecord> events_of(const RunState& st, const std::string& kind) {
  std::vector<EventRecord> out;
  for (const auto& e : st.events())
    if (e.kind == kind) out.push_back(e);
  return out;
}

}  // namespace

TEST_CASE("stall: a group that stops answering is stopped, killed after the grace period and restarted, a restart spent") {
  Stall c({1, 1});
  RunState st(c.path());
  FakeLauncher l(c.truth, c.disk);
  const bool beats = GENERATE(false, true);  // a stopped process; a hung collective
  l.freeze_at_step[{"a", 1}] = {35, beats};
  const RunSummary s = run_plan(c.in, st, l, c.o);
  CHECK(s.exit_code == 0);
  CHECK(s.done == 2);
  const auto stalled = events_of(st, "stalled");
  REQUIRE(stalled.size() == 1);
  CHECK(stalled[0].job == "a");
  const std::string how = beats ? "no step for " : "no heartbeat for ";
  CHECK(stalled[0].message.rfind(how, 0) == 0);
  CHECK(stalled[0].message.find("last: step 35, training") != std::string::npos);
  CHECK(stalled[0].message.find("over the limit of 30.0 s") != std::string::npos);
  CHECK(stalled[0].message.find("to restart it from its checkpoint") != std::string::npos);
  // Detected within a tick of the limit, killed after the grace period.
  std::vector<FakeLauncher::Launch> a;
  for (const auto& x : l.launches)
    if (x.spec.job == "a") a.push_back(x);
  REQUIRE(a.size() == 2);
  CHECK(a[1].from == 30);
  CHECK(a[1].at >= 35 + 30 + 10);
  CHECK(a[1].at <= 35 + 30 + 10 + 2 * c.o.tick + 1);
  for (const auto& j : st.jobs()) CHECK(j.restarts == (j.id == "a" ? 1 : 0));
  const auto attempts = st.attempts();
  bool failed = false;
  for (const auto& at : attempts)
    if (at.job == "a" && at.number == 1) failed = at.outcome == "failed" && at.exit_code == 128 + 9;
  CHECK(failed);
  auto restarts = events_of(st, "restart");
  REQUIRE(restarts.size() == 1);
  CHECK(restarts[0].message.rfind("stalled: " + how, 0) == 0);
  CHECK(restarts[0].message.find("from step 30") != std::string::npos);
}

TEST_CASE("stall: with no restarts left a stalled job fails alone, with why") {
  Stall c({1, 1});
  RunState st(c.path());
  FakeLauncher l(c.truth, c.disk);
  l.freeze_at_step[{"a", 1}] = {35, false};
  c.o.max_restarts = 0;
  const RunSummary s = run_plan(c.in, st, l, c.o);
  CHECK(s.exit_code == 75);
  CHECK(s.done == 1);
  for (const auto& j : st.jobs())
    if (j.id == "a") CHECK(j.message.rfind("stalled: no heartbeat for ", 0) == 0);
}

TEST_CASE("stall: a slow group that moves never stalls, nor a long evaluation with its heartbeat on") {
  SECTION("50x slower than planned: the limit follows its measured step time") {
    Stall c({50, 1});
    RunState st(c.path());
    FakeLauncher l(c.truth, c.disk);
    const RunSummary s = run_plan(c.in, st, l, c.o);
    CHECK(s.done == 2);
    CHECK(events_of(st, "stalled").empty());
    CHECK(l.launches.size() == 2);
  }
  SECTION("a 10-minute evaluation at step 20") {
    Stall c({1, 1});
    RunState st(c.path());
    FakeLauncher l(c.truth, c.disk);
    l.eval_at_step["a"] = {20, 600};
    const RunSummary s = run_plan(c.in, st, l, c.o);
    CHECK(s.done == 2);
    CHECK(events_of(st, "stalled").empty());
    CHECK(l.launches.size() == 2);
    CHECK(l.now() >= 700);
  }
}
