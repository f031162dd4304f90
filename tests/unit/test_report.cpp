// The run report: gathering a run directory (app/run_report.h) from a real
// state.db, plan versions and metrics files, and the page and charts drawn
// from it (report/report_page.h, report/timeline.h): a row per job, a curve
// per job, a bar per attempt on each of its devices, fused members as
// stripes, stalls and early stops told apart, utilisation, escaping.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

#include "app/run_report.h"
#include "core/run_files.h"
#include "exec/runner.h"
#include "exec/state.h"
#include "fake_launcher.h"
#include "report/report_page.h"
#include "report/timeline.h"
#include "temp_dir.h"

using namespace saturn;
namespace fs = std::filesystem;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::app);
  for (const auto& l : lines) out << l << "\n";
}

const char* kPlan1 = R"({"bound_s": 9, "method": "milp", "makespan_s": 10, "nodes": [{"name": "n", "devices": 2, "kind": "cpu"}],
 "jobs": [{"job": "m/lr=0.1", "node": "n", "device_ids": [0], "devices": 1, "technique": "single", "start_s": 0, "end_s": 6},
          {"job": "m/lr=0.2", "node": "n", "device_ids": [1], "devices": 1, "technique": "fused", "start_s": 0, "end_s": 8},
          {"job": "m/lr=0.3", "node": "n", "device_ids": [1], "devices": 1, "technique": "fused", "start_s": 0, "end_s": 8}]})";
const char* kPlan2 = R"({"bound_s": 4, "method": "milp", "makespan_s": 5, "nodes": [{"name": "n", "devices": 2, "kind": "cpu"}],
 "jobs": [{"job": "m/lr=0.1", "node": "n", "device_ids": [0, 1], "devices": 2, "technique": "ddp", "start_s": 0, "end_s": 5}]})";

// A run of three jobs on two devices: m/lr=0.1 alone, stalls, is restarted
// and then moved to ddp on both devices by plan 2; m/lr=0.2 and m/lr=0.3
// fused on device 1, m/lr=0.3 stopped early at its rung, m/lr=0.2 goes on
// alone and is preempted once.
void make_run(const std::string& dir) {
  RunState st(run_files::state_path(dir));
  const double t0 = 1000;
  st.set_meta("workload", "w<&>");
  st.set_meta("workload_path", "/w/w.yaml");
  st.add_plan({0, t0, 10, "initial", kPlan1});
  auto job = [&](const std::string& id, JobStatus s, int64_t done, double eval) {
    JobRecord j;
    j.id = id;
    j.status = s;
    j.steps_total = 40;
    j.steps_done = done;
    j.eval_loss = eval;
    j.final_loss = eval + 0.1;
    j.strategy = "x";
    st.put_job(j);
  };
  job("m/lr=0.1", JobStatus::Done, 40, 2.0);
  job("m/lr=0.2", JobStatus::Done, 40, 2.5);
  job("m/lr=0.3", JobStatus::Stopped, 20, 3.0);
  auto attempt = [&](const std::string& id, int64_t n, int64_t plan, const std::string& tech, const std::string& devs,
                     int64_t pid, double start, double end, const std::string& outcome, int64_t s0, int64_t s1) {
    AttemptRecord a;
    a.job = id;
    a.number = n;
    a.plan_version = plan;
    a.technique = tech;
    a.devices = static_cast<int64_t>(devs.size() / 2 + 1);
    a.node = "n";
    a.device_ids = devs;
    a.pid = pid;
    a.started = start;
    const int64_t aid = st.begin_attempt(a);
    st.end_attempt(aid, end, outcome == "done" || outcome == "paused" ? 0 : -1, outcome, s1);
    (void)s0;
  };
  attempt("m/lr=0.1", 1, 1, "single", "0", 11, t0 + 1, t0 + 4, "failed", 0, 10);
  st.event(t0 + 3.5, "stalled", "m/lr=0.1", "no heartbeat for 2 s");
  attempt("m/lr=0.2", 1, 1, "fused", "1", 12, t0 + 1, t0 + 5, "paused", 0, 20);
  attempt("m/lr=0.3", 1, 1, "fused", "1", 12, t0 + 1, t0 + 5, "paused", 0, 20);
  st.add_plan({0, t0 + 5, 5, "rung 0 decided", kPlan2});
  attempt("m/lr=0.1", 2, 2, "ddp", "0,1", 13, t0 + 5.5, t0 + 9, "done", 10, 40);
  attempt("m/lr=0.2", 2, 2, "single", "1", 14, t0 + 9, t0 + 10, "preempted", 20, 30);
  attempt("m/lr=0.2", 3, 2, "single", "1", 15, t0 + 10, t0 + 11, "done", 30, 40);
  const std::string jd = run_files::job_dir(dir, "m/lr=0.1");
  // Attempt 1: steps 5, 10 (times from its own start); attempt 2 resumes at 10.
  write_lines(run_files::metrics_path(jd), {R"({"step":5,"loss":3.0,"time":1.0})", R"({"step":10,"loss":2.8,"time":2.0})",
                                            R"({"eval_loss":2.9,"step":10})", R"({"step":20,"loss":2.5,"time":1.0})",
                                            R"({"step":40,"loss":2.1,"time":3.0})", R"({"eval_loss":2.0,"step":40})"});
  write_lines(run_files::metrics_path(run_files::job_dir(dir, "m/lr=0.3")),
              {R"({"step":20,"loss":3.1,"time":1.0})", R"({"eval_loss":3.0,"step":20})", R"({"step":21,"loss)"});
}

}  // namespace

TEST_CASE("report: a run gathered from state.db, plans and metrics, on the run's clock") {
  test::TempDir tmp("report");
  const std::string dir = tmp.path.string();
  make_run(dir);
  RunState st(run_files::state_path(dir), true);
  ReportSource src;
  src.run_dir = dir;
  src.saturn_version = "9.9";
  const ReportData r = gather_report(st, src);
  CHECK(r.workload == "w<&>");
  CHECK(r.origin == 1000);
  CHECK(r.lanes == std::vector<std::string>{"n:0", "n:1"});
  CHECK(r.cluster == "n: 2 cpu");
  REQUIRE(r.jobs.size() == 3);
  CHECK(r.jobs[0].id == "m/lr=0.1");
  CHECK(r.jobs[0].rank == 1);
  CHECK(r.jobs[0].model == "m");
  CHECK(r.jobs[0].params == std::vector<std::pair<std::string, std::string>>{{"lr", "0.1"}});
  CHECK(r.jobs[2].status_text == "stopped early at step 20");
  CHECK(r.jobs[2].rank == 0);
  // Curves: the second attempt's lines sit at its own start (5.5 s) plus their time.
  const auto& c = r.jobs[0].train_by_time;
  REQUIRE(c.size() == 4);
  CHECK(c[0].x == Approx(2.0));
  CHECK(c[1].x == Approx(3.0));
  CHECK(c[2].x == Approx(6.5));
  CHECK(c[3].x == Approx(8.5));
  CHECK(r.jobs[0].valid_by_step.size() == 2);
  CHECK(r.jobs[0].valid_by_time[1].x == Approx(8.5));
  CHECK(r.jobs[2].train_by_step.size() == 1);  // a half-written last line is not read
  // Attempts: a bar per device; the stall and the early stop told apart; fused stripes.
  REQUIRE(r.attempts.size() == 7);
  CHECK(r.attempts[5].kind == "preempted");
  CHECK(r.jobs[0].restarts == 1);  // the stall, though state.db's count (this session's) says 0
  CHECK(r.jobs[1].restarts == 0);  // a preemption is not a restart
  CHECK(r.attempts[0].kind == "stalled");
  CHECK(r.attempts[1].kind == "paused");
  CHECK(r.attempts[2].kind == "early-stop");
  CHECK(r.attempts[1].slots == 2);
  CHECK(r.attempts[2].slot == 1);
  CHECK(r.attempts[3].lane == "n:0");
  CHECK(r.attempts[4].lane == "n:1");
  CHECK(r.attempts[4].attempt == 2);
  // Plans: two versions, fused planned members as stripes; the first's prediction.
  REQUIRE(r.plans.size() == 2);
  CHECK(r.plans[1].created == Approx(5));
  CHECK(r.plans[0].bars[2].slots == 2);
  CHECK(r.predicted == 10);
  CHECK(r.bound == 9);
  CHECK(r.makespan == Approx(10));
  // Busy devices: both from 1 s, one from 4 s (the stall), both again from 5.5 s until 9 s, none after 11 s.
  double most = 0;
  for (const auto& p : r.busy) most = std::max(most, p.y);
  CHECK(most == 2);
  CHECK(r.busy.back().x == Approx(11));
  CHECK(r.busy.back().y == 0);
  CHECK(r.commands.front().second == "saturn run /w/w.yaml --run-dir " + dir);
  const auto j = to_json(r);
  CHECK(j["jobs"].size() == 3);
  CHECK(j["attempts"].size() == 7);
  CHECK(j["jobs"][2]["rank"].is_null());
}

TEST_CASE("report: the page has a row and a curve per job, a bar per attempt, one script, and no injected markup") {
  ReportData r;
  r.workload = "w";
  r.lanes = {"n:0"};
  const std::vector<std::string> ids = {"m/lr=<script>alert(1)</script>", "m/x=\"a&b'", "m/plain"};
  for (size_t i = 0; i < ids.size(); ++i) {
    ReportJob j;
    j.id = ids[i];
    j.model = "m";
    j.params = {{"k", ids[i]}};
    j.status = "done";
    j.status_text = "done";
    j.rank = static_cast<int64_t>(i + 1);
    j.train_by_step = {{0, 3}, {1, 2.5}, {2, 2}};
    j.train_by_time = j.train_by_step;
    r.jobs.push_back(j);
    ReportBar b;
    b.lane = "n:0";
    b.start = static_cast<double>(i);
    b.end = b.start + 1;
    b.job = ids[i];
    b.kind = "done";
    b.attempt = 1;
    r.attempts.push_back(b);
  }
  r.makespan = 3;
  const std::string page = report_html(r);
  CHECK(count(page, "<script") == 1);
  CHECK(count(page, "<tr class=\"job") == 3);
  CHECK(count(page, "alert(1)</script>") == 0);
  CHECK(count(page, "&lt;script&gt;") > 0);
  // The training-by-step chart: one path per job.
  const auto charts = report_charts(r);
  REQUIRE(charts.front().name == "loss-m-train-step");
  CHECK(count(charts.front().svg, "<path class=\"series") == 3);
  CHECK(count(charts.front().svg, "class=\"series best\"") == 1);
  // No validation data: no validation charts.
  for (const auto& c : charts) CHECK(c.name.find("valid") == std::string::npos);
  const auto timeline = std::find_if(charts.begin(), charts.end(), [](const ReportChart& c) { return c.name == "timeline"; });
  REQUIRE(timeline != charts.end());
  CHECK(count(timeline->svg, "data-attempt=") == 3);
  // Every attribute value is well formed: no quote from the data closes one early.
  const std::regex attr("data-job=\"[^\"<>]*\"");
  CHECK(std::distance(std::sregex_iterator(page.begin(), page.end(), attr), std::sregex_iterator()) == 3 + 3);
}

TEST_CASE("report: timeline rows, stripes and legend; events and durations") {
  TimelineChart t;
  t.lanes = {"a:0", "a:1"};
  ReportBar p{"a:0", 0, 5, "j1", "planned", 0, 1, 0, 1, ""};
  ReportBar f1{"a:1", 0, 4, "j2", "done", 1, 1, 0, 2, ""}, f2{"a:1", 0, 4, "j3", "failed", 1, 1, 1, 2, ""};
  t.planned = {p};
  t.ran = {f1, f2};
  const std::string svg = timeline_svg(t);
  CHECK(count(svg, "class=\"bar ") == 3);
  CHECK(count(svg, ">plan</text>") == 2);  // a plan row per lane
  CHECK(svg.find(">failed</text>") != std::string::npos);  // the legend names the kinds drawn
  CHECK(svg.find(">lost</text>") == std::string::npos);
  // Stripes: two members split the row's height.
  const std::regex h("data-job=\"j2\"[^>]*height=\"([0-9.]+)\"");
  std::smatch m;
  REQUIRE(std::regex_search(svg, m, h));
  CHECK(std::stod(m[1]) < 9.1);
  const std::string ev = event_strip_svg({"events", {{1, "stalled", "j<1>", "x"}, {2, "replan", "", "y"}}, 3, 960});
  CHECK(count(ev, "class=\"event\"") == 2);
  CHECK(ev.find("j<1>") == std::string::npos);
  const std::string d = duration_bars_svg("makespan", {{"bound", 9}, {"actual", 10}});
  CHECK(count(d, "class=\"bar\"") == 2);
}

TEST_CASE("report: a runner's run with a restart and a preemption shows each attempt as it ended") {
  // a is 3x slower than profiled: introspection stops it (a preemption) and
  // moves it to ddp on both devices once b ends; b's first worker dies at step 5.
  RunInput in;
  in.problem.nodes = {{"local", "cpu", 2}};
  in.problem.jobs = {"a", "b"};
  in.jobs = {{"a", 100, {}, 0}, {"b", 10, {}, 0}};
  in.problem.options = {{{0}, "single", 1, 0, 10, ""}, {{0}, "ddp", 2, 0, 6, ""}, {{1}, "single", 1, 0, 10, ""}};
  std::map<std::string, test::FakeJob> truth = {{"a", {0.3, 100, 0.18, 0, {}, 0}}, {"b", {1, 10, 1, 0, {}, 0}}};
  test::TempDir tmp("report-run");
  const std::string dir = tmp.path.string();
  RunState st(run_files::state_path(dir));
  test::JobDisk disk;
  test::FakeLauncher l(truth, disk);
  l.fail_at_step[{"b", 1}] = 5;
  RunOptions o;
  o.plan.time_limit = 2;
  o.replan_time_limit = 0.5;
  o.interval = 5;
  o.threshold = 1;
  o.restart_cost = 1;
  o.tick = 1;
  o.wall_clock = [&l] { return 1e9 + l.now_; };  // the launcher's simulated clock
  REQUIRE(run_plan(in, st, l, o).exit_code == 0);
  ReportSource src;
  src.run_dir = dir;
  const ReportData r = gather_report(st, src);
  std::map<std::string, std::vector<std::string>> kinds;  // job -> its bars' kinds, in order
  for (const auto& b : r.attempts) kinds[b.job].push_back(b.kind);
  CHECK(kinds["a"] == std::vector<std::string>{"preempted", "done", "done"});  // ddp: a bar on each device
  CHECK(kinds["b"] == std::vector<std::string>{"failed", "done"});
  CHECK(r.jobs[0].restarts + r.jobs[1].restarts == 1);
  REQUIRE(r.plans.size() >= 2);
  CHECK(r.plans.back().reason.find("introspection") == 0);
  // The page: every bar, and the second plan's own chart.
  const std::string page = report_html(r);
  CHECK(count(page, "data-kind=\"preempted\"") >= 1);
  CHECK(count(page, "id=\"chart-plan-2\"") == 1);
}
