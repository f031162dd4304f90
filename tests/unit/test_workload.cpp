#include <catch2/catch.hpp>

#include <cmath>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/job.h"
#include "workload_text.h"
#include "source_dir.h"

using namespace saturn;
using namespace saturn::test;

namespace {

const std::string kWorkloads = source_dir() + "/workloads";

std::vector<std::string> workload_files() {
  std::vector<std::string> r;
  for (const auto& e : std::filesystem::directory_iterator(kWorkloads))
    if (e.path().extension() == ".yaml") r.push_back(e.path().string());
  std::sort(r.begin(), r.end());
  return r;
}

// A workload that uses every section and most keys.
const char* kFull = R"(name: full-1
cluster:
  nodes:
    - name: gpu
      replicas: 2
      devices: {kind: cuda, count: 8, model: A100-80GB}
    - name: small
      devices: {kind: cuda, count: 4, memory: 24GiB}
    - name: host
      devices: {kind: cpu, count: 2, memory: 1536MiB, threads: 2}
data:
  train: {format: synthetic, samples: 1000, seed: 7}
  valid: {format: synthetic, samples: 100, seed: 8}
models:
  - name: g
    arch: gpt
    config: {layers: 4, width: 256, heads: 8, seq_len: 256, dropout: 0.1, tied_head: false}
    grid:
      lr: [1e-4]
      layers: [4, 6]
  - name: v
    arch: vit
    config: {image: 32, patch: 8}
    data:
      train: {format: synthetic, samples: 500}
      valid_fraction: 0.2
search:
  grid:
    lr: [1e-3, 3e-4]
    batch_size: 16
    weight_decay: [0, 0.1]
    seed: [1, 2]
train:
  epochs: 2.5
  optimizer: sgd
  schedule: constant
  grad_clip: 0
  log_every: 5
  eval_every: 100
  eval_batches: 2
  checkpoint_every: 50
  precision: bf16
techniques: [single, fsdp, spill]
planner:
  time_limit: 1m30s
  threads: 2
  introspection: {interval: 20m, threshold: 250ms}
)";

}  // namespace

TEST_CASE("every workload in workloads/ loads") {
  auto files = workload_files();
  REQUIRE(files.size() >= 3);
  for (const auto& f : files) {
    DYNAMIC_SECTION(f) { CHECK_NOTHROW(load_workload(f)); }
  }
}

TEST_CASE("round trip: YAML -> Workload -> YAML -> Workload") {
  std::vector<std::pair<std::string, std::string>> docs = {{"full.yaml", kFull}, {"base.yaml", kBaseWorkload}};
  LoadOptions o;
  o.check_files = false;
  for (const auto& f : workload_files()) {
    Workload w = load_workload(f);
    docs.emplace_back(f, to_yaml(w));
  }
  for (const auto& [name, text] : docs) {
    DYNAMIC_SECTION(name) {
      Workload a = parse_workload(text, name, kWorkloads, o);
      std::string yaml = to_yaml(a);
      Workload b = parse_workload(yaml, name + " (emitted)", kWorkloads, o);
      CHECK(a == b);
      CHECK(to_yaml(b) == yaml);
    }
  }
}

TEST_CASE("a full workload reads as written") {
  LoadOptions o;
  o.check_files = false;
  Workload w = parse_workload(kFull, "full.yaml", "", o);
  CHECK(w.name == "full-1");
  REQUIRE(w.cluster.nodes.size() == 3);
  CHECK(w.cluster.total_devices() == 2 * 8 + 4 + 2);
  auto inst = w.cluster.instances();
  REQUIRE(inst.size() == 4);
  CHECK(inst[0].name == "gpu-0");
  CHECK(inst[1].name == "gpu-1");
  CHECK(inst[2].memory == 24LL << 30);
  CHECK(inst[3].threads == 2);
  CHECK(inst[3].memory == 1536LL << 20);
  CHECK(w.cluster.nodes[0].model == "A100-80GB");

  REQUIRE(w.models.size() == 2);
  const ModelSpec& g = w.models[0];
  CHECK(g.arch == Arch::Gpt);
  CHECK(g.config.integer("layers") == 4);
  CHECK(g.config.integer("vocab") == 256);  // default
  CHECK(g.config.number("dropout") == 0.1);
  CHECK_FALSE(g.config.flag("tied_head"));
  CHECK(w.grid_for(g).find("lr")->values.size() == 1);
  CHECK(w.grid_for(g).find("layers")->values.size() == 2);
  CHECK(w.data_for(g).valid->seed == 8);
  const ModelSpec& v = w.models[1];
  CHECK(w.data_for(v).train.samples == 500);
  CHECK(w.data_for(v).valid_fraction == 0.2);

  CHECK(w.train.epochs == 2.5);
  CHECK(w.train.steps == 0);
  CHECK(w.train.optimizer == Optimizer::Sgd);
  CHECK(w.train.schedule == Schedule::Constant);
  CHECK(w.train.precision == Precision::Bf16);
  CHECK(w.techniques == std::vector<Technique>{Technique::Single, Technique::Fsdp, Technique::Spill});
  CHECK(w.planner.time_limit == 90);
  CHECK(w.planner.introspection_interval == 1200);
  CHECK(w.planner.introspection_threshold == Approx(0.25));
}

TEST_CASE("defaults fill what a workload leaves out") {
  Workload w = parse_workload(kBaseWorkload, "w.yaml", "", {});
  CHECK(w.techniques.size() == 6);
  CHECK(w.train.optimizer == Optimizer::AdamW);
  CHECK(w.train.grad_clip == 1.0);
  CHECK(w.data.valid_fraction == 0.1);
  CHECK(w.planner.time_limit == 10);
  CHECK(w.cluster.nodes[0].threads == 1);
  CHECK(default_catalog().find("cpu")->memory == 4LL << 30);
}

TEST_CASE("relative paths resolve against the workload's folder") {
  Workload w = load_workload(kWorkloads + "/quickstart.yaml");
  CHECK(w.base_dir == kWorkloads);
  CHECK(w.resolve(w.data.train.path) == kWorkloads + "/data/corpus.txt");
  CHECK(w.resolve("/abs/x") == "/abs/x");
}

TEST_CASE("a missing workload file is exit 66, a directory too") {
  try {
    load_workload("/nonexistent/w.yaml");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "/nonexistent/w.yaml: cannot read workload: No such file or directory");
    CHECK(e.exit_code() == 66);
  }
  try {
    load_workload(kWorkloads);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == kWorkloads + ": cannot read workload: is a directory");
    CHECK(e.exit_code() == 66);
  }
}

TEST_CASE("cluster: slurm reads as a template and resolves inside a Slurm job") {
  LoadOptions o;
  o.check_files = false;
  // The scalar form: every default.
  Workload w = parse_workload(with_lines(2, 5, "cluster: slurm"), "w.yaml", "", o);
  REQUIRE(w.cluster.slurm);
  CHECK(w.cluster.slurm->kind == DeviceKind::Auto);
  CHECK(w.cluster.slurm->count == 1);
  CHECK(w.cluster.nodes == std::vector<Node>{*w.cluster.slurm});
  // The mapping form, and its round trip.
  const std::string text = with_lines(
      2, 5, "cluster:\n  slurm:\n    nodes: 2\n    devices: {kind: cuda, count: 4, model: A100-40GB}");
  w = parse_workload(text, "w.yaml", "", o);
  REQUIRE(w.cluster.slurm);
  CHECK(w.cluster.slurm->replicas == 2);
  CHECK(w.cluster.total_devices() == 8);  // outside a job: the template, for planning ahead
  CHECK(parse_workload(to_yaml(w), "w2.yaml", "", o) == w);

  // load_workload() inside a job: the allocation's hosts and GPUs.
  const std::string path = (std::filesystem::temp_directory_path() / "saturn-slurm-test.yaml").string();
  {
    std::ofstream(path) << text;
  }
  std::map<std::string, std::string> env = {{"SLURM_JOB_ID", "77"},
                                            {"SLURM_JOB_NODELIST", "gpu[1-3]"},
                                            {"SLURM_JOB_CPUS_PER_NODE", "32(x3)"},
                                            {"SLURM_GPUS_ON_NODE", "8"}};
  o.slurm_env = &env;
  w = load_workload(path, o);
  REQUIRE(w.cluster.nodes.size() == 3);
  CHECK(w.cluster.nodes[2].name == "gpu3");
  CHECK(w.cluster.nodes[2].count == 8);
  CHECK(w.cluster.nodes[2].model == "A100-40GB");
  CHECK(w.cluster.slurm->replicas == 2);  // the template stays, for to_yaml
  // Not resolved when asked not to (the worker), nor outside a job.
  o.resolve_slurm = false;
  CHECK(load_workload(path, o).cluster.nodes.size() == 1);
  o.resolve_slurm = true;
  std::map<std::string, std::string> outside;
  o.slurm_env = &outside;
  CHECK(load_workload(path, o).cluster.nodes.size() == 1);
  // A job without GPUs for kind cuda: one line naming the file.
  std::map<std::string, std::string> cpu_job = {{"SLURM_JOB_ID", "78"}, {"SLURM_JOB_NODELIST", "c1"}};
  o.slurm_env = &cpu_job;
  try {
    load_workload(path, o);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == path + ": cluster: slurm: devices.kind is cuda, but Slurm job 78 holds no GPUs "
                                          "(ask for them: sbatch --gres=gpu:N)");
    CHECK(e.exit_code() == 65);
  }
  std::map<std::string, std::string> bad = {{"SLURM_JOB_ID", "79"}, {"SLURM_JOB_NODELIST", "gpu[1-"}};
  o.slurm_env = &bad;
  try {
    load_workload(path, o);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == path + ": cluster: slurm: SLURM_JOB_NODELIST gpu[1-: unbalanced '['");
  }
  std::filesystem::remove(path);
}

TEST_CASE("search.early_stopping: a rule name or a mapping, and its round trip") {
  LoadOptions o;
  o.check_files = false;
  Workload w = parse_workload(with_line(13, "    lr: [1e-3, 3e-4]\n  early_stopping: asha"), "w.yaml", "", o);
  CHECK(w.early_stopping.rule == EarlyStopping::Rule::Asha);
  CHECK(w.early_stopping.eta == 4);
  CHECK(w.early_stopping.max_rungs == 5);
  CHECK(w.early_stopping.metric == "valid_loss");
  CHECK(parse_workload(to_yaml(w), "w2.yaml", "", o) == w);
  w = parse_workload(with_line(13, "    lr: [1e-3, 3e-4]\n  early_stopping: {rule: median, metric: train_loss, min_steps: 2, "
                                   "max_rungs: 3, min_jobs: 1}"),
                     "w.yaml", "", o);
  CHECK(w.early_stopping.rule == EarlyStopping::Rule::Median);
  CHECK(w.early_stopping.metric == "train_loss");
  CHECK(w.early_stopping.min_steps == 2);
  CHECK(w.early_stopping.min_jobs == 1);
  CHECK(to_yaml(w).find("early_stopping: {rule: median") == std::string::npos);  // block style, like the rest
  CHECK(parse_workload(to_yaml(w), "w2.yaml", "", o) == w);
}

TEST_CASE("train.checkpoint_every: steps or a duration (default 10m), stall keys, and their round trip") {
  LoadOptions o;
  o.check_files = false;
  Workload w = parse_workload(with_line(15, "  steps: 10"), "w.yaml", "", o);
  CHECK(w.train.checkpoint_every == 0);
  CHECK(w.train.checkpoint_seconds == 600);
  CHECK(w.train.stall_factor == 20);
  CHECK(w.train.stall_floor == 300);
  w = parse_workload(with_line(15, "  steps: 10\n  checkpoint_every: 25"), "w.yaml", "", o);
  CHECK(w.train.checkpoint_every == 25);
  CHECK(w.train.checkpoint_seconds == 0);
  CHECK(parse_workload(to_yaml(w), "w2.yaml", "", o) == w);
  w = parse_workload(with_line(15, "  steps: 10\n  checkpoint_every: 0"), "w.yaml", "", o);
  CHECK(w.train.checkpoint_every == 0);
  CHECK(w.train.checkpoint_seconds == 0);  // none but at the end, pauses and stops
  CHECK(parse_workload(to_yaml(w), "w2.yaml", "", o) == w);
  w = parse_workload(with_line(15, "  steps: 10\n  checkpoint_every: 1m30s\n  stall_factor: 8\n  stall_floor: 2m"), "w.yaml",
                     "", o);
  CHECK(w.train.checkpoint_every == 0);
  CHECK(w.train.checkpoint_seconds == 90);
  CHECK(w.train.stall_factor == 8);
  CHECK(w.train.stall_floor == 120);
  CHECK(parse_workload(to_yaml(w), "w2.yaml", "", o) == w);
}

TEST_CASE("checkpoint cadence by time: checkpoint_seconds, under 2% of training, none when by steps") {
  TrainSpec t;
  CHECK(checkpoint_interval(t, 0) == 600);      // the default: every 10 minutes
  CHECK(checkpoint_interval(t, 1.5) == 600);    // a 1.5 s checkpoint is 0.25% of 10 minutes
  CHECK(checkpoint_interval(t, 20) == 1200);    // a 20 s one waits 60 x 20 s: 1.6%
  t.checkpoint_seconds = 2;
  CHECK(checkpoint_interval(t, 0.01) == 2);
  CHECK(checkpoint_interval(t, 0.1) == Approx(6));
  t.checkpoint_seconds = 0;
  t.checkpoint_every = 50;
  CHECK(std::isinf(checkpoint_interval(t, 0)));
}

TEST_CASE("held out: a share of the samples, at least one of two, none of none or one") {
  CHECK(held_out(100, 0.1) == 10);
  CHECK(held_out(5, 0.1) == 1);   // at least one once there are two
  CHECK(held_out(1, 0.1) == 0);   // the one sample trains
  CHECK(held_out(0, 0.1) == 0);   // was -1: an empty file counted one training sample
  CHECK(held_out(10, 0) == 0);
}

TEST_CASE("eval: tasks read as written, in a fixed normalisation order, and round trip") {
  LoadOptions o;
  o.check_files = false;
  const Workload w = parse_workload(
      with_line(15, "  steps: 10\neval:\n  - {name: add, data: add.jsonl, kind: generate, metric: exact_match, "
                    "normalize: [number, strip], max_new_tokens: 8, every: 5}\n"
                    "  - {name: pick, data: pick.parquet, kind: choice, metric: accuracy_norm, limit: 50}\n"
                    "select: eval.add.exact_match"),
      "w.yaml", "/base", o);
  CHECK(w.select == Selection{"eval.add.exact_match", true});  // a task metric: highest first
  REQUIRE(w.train.eval.size() == 2);
  const EvalTask& a = w.train.eval[0];
  CHECK(a.name == "add");
  CHECK(a.data == "/base/add.jsonl");
  CHECK(a.reader == "jsonl");
  CHECK(a.kind == EvalKind::Generate);
  CHECK(a.normalize == std::vector<std::string>{"strip", "number"});
  CHECK(a.max_new_tokens == 8);
  CHECK(a.every == 5);
  CHECK(a.metric_key() == "eval.add.exact_match");
  const EvalTask& p = w.train.eval[1];
  CHECK(p.reader == "parquet");
  CHECK(p.kind == EvalKind::Choice);
  CHECK(p.limit == 50);
  CHECK(p.metric_key() == "eval.pick.accuracy_norm");
  CHECK(parse_workload(to_yaml(w), "w2.yaml", "/base", o) == w);
  CHECK(parse_workload(with_line(15, "  steps: 10\nselect: {metric: train_loss, mode: max}"), "w.yaml", "", o).select ==
        Selection{"train_loss", true});
  // The tasks are part of the training settings' hash (an edit retrains).
  CHECK(canonical(w.train) != canonical(parse_workload(kBaseWorkload, "w.yaml", "/base", o).train));
}

TEST_CASE("eval: answers normalised and matched") {
  CHECK(normalize_answer("  The Answer: 42.\n", {"strip"}) == "The Answer: 42.");
  CHECK(normalize_answer("MiXeD Ünïcode", {"lower"}) == "mixed Ünïcode");
  CHECK(normalize_answer("it is -0012.500 apples", {"number"}) == "-12.5");
  CHECK(normalize_answer("1,234 and 5", {"number"}) == "1234");
  CHECK(normalize_answer("7.", {"number"}) == "7");
  CHECK(normalize_answer("no digits", {"number"}).empty());
  CHECK(normalize_answer("-0", {"number"}) == "0");
  EvalTask t;
  t.metric = "exact_match";
  t.normalize = {"strip", "lower"};
  CHECK(answer_matches(t, " Paris\n", "paris"));
  CHECK_FALSE(answer_matches(t, "Paris, France", "paris"));
  t.metric = "contains";
  CHECK(answer_matches(t, "It is Paris, France", "paris"));
  CHECK_FALSE(answer_matches(t, "anything", ""));  // an empty answer is in every text: never a match
  t.metric = "exact_match";
  t.normalize = {"number"};
  CHECK(answer_matches(t, "The sum is 12.0", "12"));
  CHECK_FALSE(answer_matches(t, "The sum is 13", "12"));
}
