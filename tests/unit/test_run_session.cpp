// The run session (app/run_session.h): what a run directory's state means
// for a new `saturn run`, the workload checks before any work, and a plan
// that writes nothing. Real workload files and a real state.db in a
// temporary folder.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "app/run_session.h"
#include "core/run_files.h"
#include "exec/state.h"
#include "temp_dir.h"
#include "workload_text.h"

namespace fs = std::filesystem;
using namespace saturn;

namespace {

using test::TempDir;

std::string write_workload(const TempDir& d, const std::string& text) {
  const std::string p = (d.path / "w.yaml").string();
  std::ofstream(p) << text;
  return p;
}

SessionOptions options_for(const TempDir& d, const std::string& workload) {
  SessionOptions o;
  o.workload = workload;
  o.run_dir = (d.path / "run").string();
  o.store = (d.path / "profiles.db").string();
  o.saturn = "/nonexistent/saturn";  // nothing here may start a worker
  o.no_profile = true;
  return o;
}

}  // namespace

TEST_CASE("run session: resume decisions") {
  SECTION("a new directory is a fresh run that profiles first") {
    const auto d = decide_resume(std::nullopt, "w", false, true, false, "runs/x");
    CHECK(d.refusal.empty());
    CHECK_FALSE(d.resume);
    CHECK(d.profile);
  }
  SECTION("--no-profile measures nothing") { CHECK_FALSE(decide_resume(std::nullopt, "w", false, true, true, "r").profile); }
  SECTION("the same workload resumes; one that planned already does not profile again unless edited") {
    const auto d = decide_resume(std::string("w"), "w", true, false, false, "runs/x");
    CHECK(d.refusal.empty());
    CHECK(d.resume);
    CHECK_FALSE(d.profile);
    CHECK(decide_resume(std::string("w"), "w", false, false, false, "runs/x").profile);  // stopped while profiling
    CHECK(decide_resume(std::string("w"), "w", true, true, false, "runs/x").profile);    // edited: new shapes
  }
  SECTION("another workload's run is refused with one line naming the directory") {
    const auto d = decide_resume(std::string("other"), "w", true, false, false, "runs/x");
    CHECK(d.refusal == "runs/x: holds a run of workload other, not w; use --run-dir for a new run, or remove runs/x");
  }
}

TEST_CASE("run session: the fingerprint follows the jobs and training settings, not the cluster") {
  auto fp = [](const std::string& text) {
    LoadOptions o;
    o.check_files = false;
    const Workload w = parse_workload(text, "w.yaml", "", o);
    return workload_fingerprint(w, expand_jobs(w));
  };
  const std::string base = fp(test::kBaseWorkload);
  CHECK(fp(test::kBaseWorkload) == base);
  CHECK(fp(test::with_line(13, "    lr: [1e-3, 1e-4]")) != base);
  CHECK(fp(test::with_line(15, "  steps: 20")) != base);
  CHECK(fp(test::with_line(5, "      devices: {kind: cpu, count: 1}")) == base);
}

TEST_CASE("run session: baselines") {
  CHECK(parse_baseline("current-practice") == Baseline::CurrentPractice);
  CHECK(parse_baseline("random") == Baseline::Random);
  try {
    parse_baseline("nope");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "--baseline: \"nope\" is not a baseline (current-practice, optimus-greedy, max-heuristic, min-heuristic, "
          "random)");
    CHECK(e.exit_code() == 64);
  }
}

TEST_CASE("run session: checks before any work, and a plan that writes nothing") {
  TempDir d;
  const std::string w = write_workload(d, test::kBaseWorkload);
  SECTION("bad flags are usage errors") {
    SessionOptions o = options_for(d, w);
    o.max_restarts = -1;
    CHECK_THROWS_WITH(RunSession(o), "--max-restarts: expected 0 or more");
    o = options_for(d, w);
    o.baseline = "fastest";
    CHECK_THROWS_WITH(RunSession(o), Catch::StartsWith("--baseline: \"fastest\" is not a baseline"));
  }
  SECTION("cluster: slurm outside a Slurm job is refused unless only planning") {
    const std::string s = write_workload(d, test::with_lines(2, 5, "cluster: slurm"));
    ::unsetenv("SLURM_JOB_ID");
    CHECK_THROWS_WITH(RunSession(options_for(d, s)), Catch::StartsWith("cluster: slurm: not inside a Slurm job"));
  }
  SECTION("plan(): every job planned, nothing written") {
    RunSession session(options_for(d, w));
    const PlannedRun p = session.plan();
    CHECK(p.plan.items.size() == session.jobs().jobs.size());
    CHECK_FALSE(p.existing);
    CHECK_FALSE(fs::exists(d.path / "run"));
  }
  SECTION("run() refuses a run directory of another workload before profiling or starting anything") {
    fs::create_directories(d.path / "run");
    {
      RunState st(run_files::state_path((d.path / "run").string()));
      st.set_meta("fingerprint", "another");
      st.set_meta("workload", "another");
    }
    RunSession session(options_for(d, w));
    SessionHooks hooks;
    hooks.say = [](const std::string&) {};
    CHECK_THROWS_WITH(session.run(hooks), Catch::Contains("holds a run of workload another, not "));
    CHECK_FALSE(session.trained());
    RunState st(run_files::state_path((d.path / "run").string()), true);
    CHECK(st.meta("fingerprint") == std::optional<std::string>("another"));
    CHECK(st.jobs().empty());
  }
}

TEST_CASE("run session: chat templates read the time the run directory recorded at its first start") {
  TempDir d;
  const std::string w = write_workload(d, test::kBaseWorkload);
  const int64_t before = static_cast<int64_t>(::time(nullptr));
  {
    RunSession fresh(options_for(d, w));  // a new run: now, for every data section
    CHECK(fresh.workload().data.chat_time >= before);
    CHECK(fresh.workload().data.chat_time <= static_cast<int64_t>(::time(nullptr)));
  }
  fs::create_directories(d.path / "run");
  {
    RunState st(run_files::state_path((d.path / "run").string()));
    st.set_meta("workload", "base");
    st.set_meta("chat_time", "1722000000");
  }
  RunSession resumed(options_for(d, w));
  CHECK(resumed.workload().data.chat_time == 1722000000);
  for (const auto& m : resumed.workload().models)
    if (m.data) CHECK(m.data->chat_time == 1722000000);
}
