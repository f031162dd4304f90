// run_files: the files that cross the worker boundary, written and read
// back, and what the readers make of absent, half-written and corrupt ones.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/run_files.h"
#include "exec/ranking.h"
#include "exec/state.h"
#include "temp_dir.h"

using namespace saturn;
namespace fs = std::filesystem;

namespace {
struct TempDir : test::TempDir {
  const std::string path = test::TempDir::path.string();
  TempDir() : test::TempDir("run-files") {}
};
void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}
// The Data error's one line, or "" when `f` does not throw one.
template <class F>
std::string data_error(F f) {
  try {
    f();
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Data && std::string(e.what()).find('\n') == std::string::npos) return e.what();
    return std::string("wrong kind or several lines: ") + e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("run files: paths of a run directory") {
  CHECK(run_files::job_dir("runs/q", "gpt/lr=1e-3,bs=8") == "runs/q/jobs/gpt/lr=1e-3,bs=8");
  CHECK(run_files::log_path("runs/q", "gpt/lr=1e-3,bs=8") == "runs/q/logs/gpt_lr=1e-3,bs=8.log");
  CHECK(run_files::metrics_path("j") == "j/metrics.jsonl");
  CHECK(run_files::result_path("j") == "j/result.json");
  CHECK(run_files::checkpoint_dir("j") == "j/ckpt");
  CHECK(run_files::trial_rank_path("t", 2) == "t/trial/rank-2.json");
  CHECK(run_files::checkpoint_stem(50) == "step-0000000050");
}

TEST_CASE("run files: checkpoint manifests, newest first, other files ignored") {
  TempDir d;
  const std::string ckpt = run_files::checkpoint_dir(d.path);
  CHECK(run_files::newest_checkpoint(d.path) == 0);  // no ckpt/ at all
  for (int64_t s : {50, 100, 7}) write(ckpt + "/" + run_files::checkpoint_stem(s) + ".json", "{}");
  write(ckpt + "/" + run_files::checkpoint_stem(200) + ".pt", "");  // no manifest: not a checkpoint yet
  write(ckpt + "/step-00000000x1.json", "{}");
  write(ckpt + "/step-0000000300.json.tmp", "{}");
  CHECK(run_files::checkpoint_steps(ckpt) == std::vector<int64_t>{100, 50, 7});
  CHECK(run_files::newest_checkpoint(d.path) == 100);
  CHECK(run_files::checkpoint_step("step-0000000042.json") == 42);
  CHECK_FALSE(run_files::checkpoint_step("step-42.json"));
}

TEST_CASE("run files: result.json round trip, absent, and malformed") {
  TempDir d;
  CHECK_FALSE(run_files::read_result(d.path));
  run_files::Result r{"gpt/lr=1", 100, 2.5, 2.75, 12.0, 4};
  write(run_files::result_path(d.path), run_files::to_json(r).dump());
  auto back = run_files::read_result(d.path);
  REQUIRE(back);
  CHECK(back->job == r.job);
  CHECK(back->steps == 100);
  CHECK(back->final_loss == 2.5);
  CHECK(back->eval_loss == 2.75);
  CHECK(back->wall_s == 12.0);
  CHECK(back->fused == 4);
  CHECK(run_files::to_json(r).contains("train_s"));  // not "wall_s": the leaderboard's wall time is another figure
  write(run_files::result_path(d.path), R"({"job": "j", "steps": 1, "final_loss": 1, "eval_loss": null, "wall_s": 7})");
  CHECK(run_files::read_result(d.path)->wall_s == 7);  // written before train_s
  run_files::Result nan{"j", 3, NAN, std::nullopt, 0, 0};
  write(run_files::result_path(d.path), run_files::to_json(nan).dump());
  back = run_files::read_result(d.path);
  REQUIRE(back);
  CHECK(std::isnan(back->final_loss));
  CHECK_FALSE(back->eval_loss);
  CHECK_FALSE(run_files::to_json(nan).contains("fused"));

  const std::string path = run_files::result_path(d.path);
  write(path, "{\"steps\": 10, \"final_lo");  // cut short
  CHECK(data_error([&] { run_files::read_result(d.path); }) == path + ": not a JSON object");
  write(path, "[1, 2]");
  CHECK(data_error([&] { run_files::read_result(d.path); }) == path + ": not a JSON object");
  write(path, "{\"final_loss\": 1}");
  CHECK(data_error([&] { run_files::read_result(d.path); }) == path + ": no \"steps\"");
  write(path, "{\"steps\": \"ten\", \"final_loss\": 1}");
  CHECK(data_error([&] { run_files::read_result(d.path); }) == path + ": \"steps\": expected an integer, got \"ten\"");
  write(path, "{\"steps\": 10, \"final_loss\": {}}");
  CHECK(data_error([&] { run_files::read_result(d.path); }) == path + ": \"final_loss\": expected a number, got {}");
}

TEST_CASE("run files: trial rank files round trip, infeasible, and malformed") {
  TempDir d;
  CHECK_FALSE(run_files::read_trial(d.path, 0));
  run_files::Trial t;
  t.step_time = 0.0125;
  t.spread = 0.01;
  t.timed_steps = 9;
  t.peak_memory = 123456789;
  t.startup_s = 1.5;
  t.final_loss = 4.25;
  write(run_files::trial_rank_path(d.path, 0), run_files::to_json(t).dump());
  auto back = run_files::read_trial(d.path, 0);
  REQUIRE(back);
  CHECK(back->feasible);
  CHECK(back->step_time == 0.0125);
  CHECK(back->timed_steps == 9);
  CHECK(back->peak_memory == 123456789);
  CHECK(back->final_loss == 4.25);
  run_files::Trial oom;
  oom.feasible = false;
  oom.reason = "out of memory: 2 GiB";
  write(run_files::trial_rank_path(d.path, 1), run_files::to_json(oom).dump());
  back = run_files::read_trial(d.path, 1);
  REQUIRE(back);
  CHECK_FALSE(back->feasible);
  CHECK(back->reason == "out of memory: 2 GiB");

  const std::string path = run_files::trial_rank_path(d.path, 2);
  write(path, "");
  CHECK(data_error([&] { run_files::read_trial(d.path, 2); }) == path + ": not a JSON object");
  write(path, "{\"feasible\": \"yes\"}");
  CHECK(data_error([&] { run_files::read_trial(d.path, 2); }) == path + ": \"feasible\": expected true or false");
  write(path, "{\"feasible\": true}");
  CHECK(data_error([&] { run_files::read_trial(d.path, 2); }) == path + ": no \"step_time\"");
}

TEST_CASE("run files: metrics lines the runner reads, and the ones it skips") {
  auto m = run_files::parse_metrics_line(R"({"step": 12, "loss": 3.5, "lr": 0.001, "time": 4.25})");
  REQUIRE(m);
  CHECK(m->step == 12);
  CHECK(m->loss == 3.5);
  CHECK(m->time == 4.25);
  CHECK_FALSE(run_files::parse_metrics_line(R"({"step": 12, "eval_loss": 3.1, "time": 4.3})"));  // an eval line
  CHECK_FALSE(run_files::parse_metrics_line(R"({"step": 12, "loss": 3.5, "ti)"));              // being written
  CHECK_FALSE(run_files::parse_metrics_line(R"({"step": "12", "loss": 3.5, "time": 1})"));
  CHECK_FALSE(run_files::parse_metrics_line(""));
  auto nan = run_files::parse_metrics_line(R"({"step": 3, "loss": null, "time": 1})");
  REQUIRE(nan);
  CHECK(std::isnan(nan->loss));
}

TEST_CASE("ranking: by the run's selection: valid loss by default, a task metric highest first, missing last") {
  test::TempDir d("ranking");
  const std::string run = d.path.string();
  auto rec = [](const std::string& id, JobStatus s, double valid, int64_t done = 10) {
    JobRecord j;
    j.id = id;
    j.status = s;
    j.eval_loss = valid;
    j.final_loss = valid + 1;
    j.steps_total = 10;
    j.steps_done = done;
    return j;
  };
  auto metrics = [&](const std::string& id, const std::string& lines) {
    std::filesystem::create_directories(run_files::job_dir(run, id));
    std::ofstream(run_files::metrics_path(run_files::job_dir(run, id))) << lines;
  };
  metrics("a", "{\"step\": 5, \"loss\": 2.0}\n{\"step\": 5, \"eval.add.exact_match\": 0.9}\n{\"step\": 10, \"eval.add.exact_match\": 0.25}\n");
  metrics("b", "{\"step\": 10, \"eval.add.exact_match\": 0.75, \"eval.quiz.accuracy\": 0.5}\n");
  metrics("c", "{\"step\": 10, \"loss\": 1.0}\n");
  {
    RunState st(run_files::state_path(run));
    for (const auto& j : {rec("a", JobStatus::Done, 1.0), rec("b", JobStatus::Done, 3.0), rec("c", JobStatus::Done, 2.0),
                          rec("s", JobStatus::Stopped, 0.5, 4), rec("p", JobStatus::Pending, NAN, 0)})
      st.put_job(j);
  }
  RunState st(run_files::state_path(run), true);
  auto order = [&](const Ranking& r) {
    std::vector<std::string> ids;
    for (const auto& j : ranked_jobs(st.jobs(), r)) ids.push_back(j.id);
    return ids;
  };
  Ranking r = run_ranking(st, run);
  CHECK(r.select.metric == "valid_loss");  // no meta: the default
  CHECK(order(r) == std::vector<std::string>{"a", "c", "b", "s", "p"});
  CHECK(r.scores["a"].at("eval.add.exact_match") == 0.25);  // the latest score
  CHECK(r.scores["b"].at("eval.quiz.accuracy") == 0.5);
  CHECK(r.scores.count("c") == 0);
  r.select = {"eval.add.exact_match", true};
  CHECK(order(r) == std::vector<std::string>{"b", "a", "c", "s", "p"});  // c has no score: last of the done
  r.select = {"train_loss", false};
  CHECK(order(r) == std::vector<std::string>{"a", "c", "b", "s", "p"});
  CHECK(selection_text({"eval.add.exact_match", true}) == "eval.add.exact_match max");
  CHECK(parse_selection_text("eval.add.exact_match max") == Selection{"eval.add.exact_match", true});
  CHECK(parse_selection_text("") == Selection{});
}
