// Job reuse (app/job_reuse.h): an edited workload run again in its run
// directory keeps every unchanged job, adds new ones, trains changed ones
// from scratch with their old folders moved aside, and leaves out the ones
// it no longer has. A real state.db and run folder in a temporary directory.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "app/job_reuse.h"
#include "app/run_session.h"
#include "core/run_files.h"
#include "temp_dir.h"
#include "workload_text.h"

namespace fs = std::filesystem;
using namespace saturn;

namespace {

JobSet jobs_of(const std::string& text) {
  LoadOptions o;
  o.check_files = false;
  return expand_jobs(parse_workload(text, "w.yaml", "", o));
}

std::map<std::string, std::string> hashes(const JobSet& s) {
  std::map<std::string, std::string> m;
  for (const auto& j : s.jobs) m[j.id] = j.hash;
  return m;
}

JobRecord record(const std::string& id, JobStatus s, int64_t done = 0) {
  JobRecord r;
  r.id = id;
  r.status = s;
  r.steps_done = done;
  return r;
}

}  // namespace

TEST_CASE("job reuse: unchanged jobs are kept, new ones added, changed ones start again, missing ones left out") {
  const JobSet before = jobs_of(test::kBaseWorkload);  // m/lr=1e-3, m/lr=3e-4
  REQUIRE(before.jobs.size() == 2);
  const std::vector<JobRecord> records{record(before.jobs[0].id, JobStatus::Done),
                                       record(before.jobs[1].id, JobStatus::Pending, 4)};
  SECTION("the same workload: nothing edited") {
    const JobReuse r = reconcile_jobs(hashes(before), records, before);
    CHECK(r.reused == std::vector<std::string>{before.jobs[0].id});
    CHECK(r.resumed == std::vector<std::string>{before.jobs[1].id});
    CHECK_FALSE(r.edited());
  }
  SECTION("one more learning rate: the other two are reused and resumed") {
    const JobSet after = jobs_of(test::with_line(13, "    lr: [1e-3, 3e-4, 1e-4]"));
    const JobReuse r = reconcile_jobs(hashes(before), records, after);
    CHECK(r.reused.size() == 1);
    CHECK(r.resumed.size() == 1);
    CHECK(r.added == std::vector<std::string>{"m/lr=1e-4"});
    CHECK(r.edited());
    CHECK(r.text("runs/t") == "reuses 1 done job, resumes 1 unfinished job, adds 1 new job");
  }
  SECTION("more steps change every job's meaning; a removed point is left out") {
    const JobSet after = jobs_of(test::with_lines(13, 15, "    lr: [1e-3]\ntrain:\n  steps: 20"));
    REQUIRE(after.jobs.size() == 1);
    const JobReuse r = reconcile_jobs(hashes(before), records, after);
    CHECK(r.added == std::vector<std::string>{"m"});  // a new id: lr no longer varies
    CHECK(r.changed.empty());
    CHECK(r.dropped.size() == 2);
    const JobSet same_ids = jobs_of(test::with_line(15, "  steps: 20"));
    const JobReuse s = reconcile_jobs(hashes(before), records, same_ids);
    CHECK(s.changed.size() == 2);
    CHECK(s.reused.empty());
    CHECK(s.text("runs/t") ==
          "trains 2 changed jobs from scratch (m/lr=1e-3, m/lr=3e-4; the old files are under runs/t/replaced/)");
  }
  SECTION("a job left out earlier and put back unchanged is done again, and the run says so") {
    const JobReuse r = reconcile_jobs(hashes(before), {records[1]}, before, [&](const std::string& id) {
      return id == before.jobs[0].id;  // its result.json is still there
    });
    CHECK(r.restored == std::vector<std::string>{before.jobs[0].id});
    CHECK(r.reused == std::vector<std::string>{before.jobs[0].id});
    CHECK(r.edited());
    CHECK(r.text("runs/t") == "reuses 1 done job, resumes 1 unfinished job, puts back 1 job left out earlier (m/lr=1e-3)");
    // A run stopped before any job was recorded (while profiling) is no edit.
    CHECK_FALSE(reconcile_jobs(hashes(before), {}, before).edited());
  }
  SECTION("the cluster is not part of a job") {
    const JobSet after = jobs_of(test::with_line(5, "      devices: {kind: cpu, count: 1}"));
    CHECK_FALSE(reconcile_jobs(hashes(before), records, after).edited());
  }
}

TEST_CASE("job reuse: applied to a run directory") {
  test::TempDir d;
  const std::string run = (d.path / "run").string();
  fs::create_directories(run);
  RunState st(run_files::state_path(run));
  const JobSet before = jobs_of(test::kBaseWorkload);
  const std::string a = before.jobs[0].id, b = before.jobs[1].id;
  st.put_job(record(a, JobStatus::Done));
  st.put_job(record(b, JobStatus::Done));
  apply_reuse(st, run, reconcile_jobs({}, {}, before), {}, before, 1);
  CHECK(st.events().empty());  // a fresh run is no edit
  SECTION("recorded hashes are read back") {
    CHECK(stored_job_hashes(st, "any", before, run) == hashes(before));
  }
  SECTION("a changed job's folder moves aside, its record starts again; a dropped one leaves the table") {
    fs::create_directories(run_files::job_dir(run, a));
    std::ofstream(run_files::result_path(run_files::job_dir(run, a))) << "{}";
    const JobSet steps = jobs_of(test::with_lines(13, 15, "    lr: [1e-3, 1e-4]\ntrain:\n  steps: 20"));
    const auto stored = stored_job_hashes(st, "", steps, run);
    const JobReuse r = reconcile_jobs(stored, st.jobs(), steps);
    REQUIRE(r.changed == std::vector<std::string>{a});
    REQUIRE(r.dropped == std::vector<std::string>{b});
    apply_reuse(st, run, r, stored, steps, 2);
    CHECK_FALSE(fs::exists(run_files::job_dir(run, a)));
    CHECK(fs::exists(replaced_dir(run, before.jobs[0].hash, a) + "/result.json"));
    const auto jobs = st.jobs();
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].id == a);
    CHECK(jobs[0].status == JobStatus::Pending);
    // Every hash is remembered: b put back unchanged is no new job.
    const auto again = stored_job_hashes(st, "", before, run);
    CHECK(again.at(b) == before.jobs[1].hash);
    CHECK(again.at(a) == steps.jobs[0].hash);
    REQUIRE(st.events().size() == 1);
    CHECK(st.events()[0].kind == "edit");
  }
}

TEST_CASE("job reuse: a run recorded before job hashes") {
  test::TempDir d;
  RunState st((d.path / "state.db").string());
  const JobSet jobs = jobs_of(test::kBaseWorkload);
  CHECK(stored_job_hashes(st, "fp", jobs, "runs/t").empty());  // no run yet
  st.set_meta("fingerprint", "fp");
  CHECK(stored_job_hashes(st, "fp", jobs, "runs/t") == hashes(jobs));
  CHECK_THROWS_WITH(stored_job_hashes(st, "other", jobs, "runs/t"),
                    "runs/t: holds a run recorded before saturn kept each job's hash, of other jobs or training "
                    "settings; use --run-dir for a new run, or remove runs/t");
}
