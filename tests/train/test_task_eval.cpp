// Task evaluation (train/eval/task_eval.h): choice log-likelihoods and both
// accuracies against lm-evaluation-harness's rule computed with
// transformers; generate tasks scored from the model's own greedy text;
// bad records one line each.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "../unit/temp_dir.h"
#include "core/error.h"
#include "core/hf_config.h"
#include "reference_files.h"
#include "source_dir.h"
#include "train/eval/task_eval.h"
#include "train/generate/generate.h"
#include "train/generate/model_source.h"
#include "tokenize/tokenizer.h"

namespace fs = std::filesystem;
using namespace saturn;
using saturn::test::test_python;

namespace {

// workloads/finetune/tiny-llama's config and tokenizer with weights made from its seed.
fs::path tiny_llama(const fs::path& dir) {
  fs::create_directories(dir);
  for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json"})
    fs::copy_file(fs::path(source_dir()) / "workloads/finetune/tiny-llama" / f, dir / f);
  const std::string cmd = test_python() + " '" + source_dir() + "/scripts/make-finetune-model.py' '" + dir.string() +
                          "' >'" + (dir / "make.log").string() + "' 2>&1";
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
  return dir;
}

train::TrainJob job_for(const fs::path& model, std::vector<EvalTask> tasks) {
  const HfModel m = read_hf_config(model.string());
  train::TrainJob j;
  j.id = "m";
  j.arch = m.arch;
  j.config = m.config;
  j.from_dir = model.string();
  j.data.train.format = DataFormat::Text;  // plain prompts
  j.data.tokenizer = (model / "tokenizer.json").string();
  j.resolve = [](const std::string& p) { return p; };
  j.train.eval = std::move(tasks);
  return j;
}

}  // namespace

TEST_CASE("task eval: choice log-likelihoods, accuracy and accuracy_norm equal lm-evaluation-harness's rule under "
          "transformers", "[hf]") {
  torch::set_num_threads(1);
  test::TempDir d("taskeval");
  const fs::path model = tiny_llama(d.path / "model");
  {
    std::ofstream f(d.path / "choice.jsonl");
    const std::vector<std::string> words = {"saturn", "plans", "the", "jobs", "devices", "train", "models", "faster"};
    for (int i = 0; i < 12; ++i) {
      nlohmann::json r = {{"prompt", "Record " + std::to_string(i) + ": saturn " + words[i % 8] + (i % 3 ? "" : " ")},
                          {"choices", {words[(i + 1) % 8], words[(i + 3) % 8] + " and more", words[(i + 5) % 8]}}};
      if (i % 2) r["answer"] = i % 3;
      else r["answer"] = r["choices"][0];
      f << r.dump() << "\n";
    }
  }
  const std::string cmd = test_python() + " '" + source_dir() + "/tests/train/hf/choice_reference.py' '" + model.string() +
                          "' '" + (d.path / "choice.jsonl").string() + "' '" + (d.path / "ref.json").string() + "' >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const auto ref = nlohmann::json::parse(std::ifstream(d.path / "ref.json"));
  std::vector<EvalTask> tasks(2);
  for (size_t k = 0; k < 2; ++k) {
    tasks[k].name = "pick" + std::to_string(k);
    tasks[k].data = (d.path / "choice.jsonl").string();
    tasks[k].kind = EvalKind::Choice;
    tasks[k].metric = k == 0 ? "accuracy" : "accuracy_norm";
  }
  train::TaskEvaluator ev(job_for(model, tasks));
  train::LoadedModel m = train::load_model_folder(model.string());
  const auto lls = ev.loglikelihoods(m.model, 0);
  REQUIRE(lls.size() == 12);
  for (size_t i = 0; i < lls.size(); ++i)
    for (size_t k = 0; k < lls[i].size(); ++k) {
      const double want = ref["ll"][i][k].get<double>();
      INFO("record " << i << " choice " << k);
      CHECK(std::abs(lls[i][k] - want) <= 1e-4 * std::max(1.0, std::abs(want)));
    }
  const auto scores = ev.run(m.model, 10, 10, 10);
  CHECK(scores["eval.pick0.accuracy"].get<double>() == Approx(ref["accuracy"].get<double>()));
  CHECK(scores["eval.pick1.accuracy_norm"].get<double>() == Approx(ref["accuracy_norm"].get<double>()));
}

TEST_CASE("task eval: generate tasks score the greedy text against answers; due points; bad records one line each") {
  torch::set_num_threads(1);
  test::TempDir d("taskgen");
  const fs::path model = tiny_llama(d.path / "model");
  train::LoadedModel m = train::load_model_folder(model.string());
  const tok::Tokenizer t = tok::Tokenizer::load((model / "tokenizer.json").string());
  // The model's own greedy continuations are the answers of half the records.
  const std::vector<std::string> prompts = {"saturn plans", "The planner", "every job", "a device"};
  {
    std::ofstream f(d.path / "gen.jsonl");
    for (size_t i = 0; i < prompts.size(); ++i) {
      std::vector<int64_t> ids;
      for (uint32_t id : t.encode(prompts[i])) ids.push_back(id);
      train::GenerateOptions o;
      o.max_new_tokens = 6;
      o.stop = {static_cast<int64_t>(*t.end_of_text())};
      o.pad = o.stop[0];
      auto made = train::generate(m.model, {ids}, o)[0];
      if (!made.empty() && made.back() == o.stop[0]) made.pop_back();
      const std::string text = t.decode(std::vector<uint32_t>(made.begin(), made.end()));
      f << nlohmann::json({{"prompt", prompts[i]}, {"answer", i % 2 ? "  " + text + " " : "nothing like it"}}).dump() << "\n";
    }
  }
  EvalTask g;
  g.name = "echo";
  g.data = (d.path / "gen.jsonl").string();
  g.metric = "exact_match";
  g.max_new_tokens = 6;
  g.every = 4;
  EvalTask strip = g;
  strip.name = "echo_strip";
  strip.normalize = {"strip"};
  strip.every = 0;
  train::TrainJob job = job_for(model, {g, strip});
  job.train.eval_every = 3;
  train::TaskEvaluator ev(job);
  auto scores = ev.run(m.model, 4, 10, 10);  // only "echo" is due at 4
  CHECK(scores.size() == 1);
  CHECK(scores["eval.echo.exact_match"].get<double>() == 0.0);  // the spaces around the answers count
  scores = ev.run(m.model, 10, 10, 10);  // the end: both
  CHECK(scores["eval.echo_strip.exact_match"].get<double>() == Approx(0.5));
  CHECK(train::task_eval_due(job.train, 3, 10, 10));   // eval_every
  CHECK(train::task_eval_due(job.train, 8, 10, 10));   // echo's every
  CHECK_FALSE(train::task_eval_due(job.train, 5, 10, 10));
  CHECK(train::task_eval_due(job.train, 5, 10, 5));    // a pause (a rung)

  auto refused = [&](const std::string& text, EvalKind kind, const char* metric) {
    std::ofstream(d.path / "bad.jsonl") << text;
    EvalTask b;
    b.name = "bad";
    b.data = (d.path / "bad.jsonl").string();
    b.kind = kind;
    b.metric = metric;
    try {
      train::TaskEvaluator bad(job_for(model, {b}));
    } catch (const Error& e) {
      const std::string w = e.what();
      return w.substr(w.find("bad.jsonl"));
    }
    return std::string("no error");
  };
  CHECK(refused("{\"prompt\": \"a\"}\n", EvalKind::Generate, "contains") == "bad.jsonl:1: answer: missing");
  CHECK(refused("{\"prompt\": 3, \"answer\": \"x\"}\n", EvalKind::Generate, "contains") ==
        "bad.jsonl:1: prompt: expected a string, got a number");
  CHECK(refused("{\"prompt\": \"a\", \"answer\": 1, \"choices\": [\"x\", \"y\"]}\n{\"prompt\": \"a\", \"answer\": 2, "
                "\"choices\": [\"x\", \"y\"]}\n", EvalKind::Choice, "accuracy") ==
        "bad.jsonl:2: answer: 2 is not the index of a choice (0 .. 1)");
  CHECK(refused("{\"prompt\": \"a\", \"answer\": \"z\", \"choices\": [\"x\", \"y\"]}\n", EvalKind::Choice, "accuracy") ==
        "bad.jsonl:1: answer: \"z\" is not one of the choices");
  CHECK(refused("\n", EvalKind::Generate, "contains").rfind("bad.jsonl: no records", 0) == 0);
}
