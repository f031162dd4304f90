// Profile core: the analytic model cost and estimator, the SQLite store,
// trial enumeration. Torch-free; the measuring side is tests/e2e/profile.sh.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>
#include <fstream>

#include "core/arch.h"
#include "core/hf_config.h"
#include "core/job.h"
#include "profile/estimator.h"
#include "profile/model_cost.h"
#include "profile/runtime.h"
#include "exec/sqlite.h"
#include "profile/store.h"
#include "profile/trials.h"
#include "workload_text.h"
#include "source_dir.h"

using namespace saturn;
using namespace saturn::test;

namespace {
Config gpt_config(int64_t layers, int64_t width, int64_t heads, int64_t seq, int64_t vocab) {
  Config c = default_config(Arch::Gpt);
  c.set("layers", layers);
  c.set("width", width);
  c.set("heads", heads);
  c.set("seq_len", seq);
  c.set("vocab", vocab);
  return c;
}
Workload parse(const std::string& text) {
  LoadOptions o;
  o.check_files = false;
  return parse_workload(text, "w.yaml", "", o);
}
std::string temp_db() {
  return (std::filesystem::temp_directory_path() / ("saturn-test-store-" + std::to_string(::getpid()) + ".db")).string();
}
}  // namespace

TEST_CASE("model cost: GPT-2 sizes match the published parameter counts") {
  // HF gpt2 (124,439,808) and gpt2-xl (1,557,611,200): tied head, biases.
  CHECK(model_cost(Arch::Gpt, gpt_config(12, 768, 12, 1024, 50257))->params == 124439808.0);
  const ModelCost xl = *model_cost(Arch::Gpt, gpt_config(48, 1600, 25, 1024, 50257));
  CHECK(xl.params == Approx(1.5e9).epsilon(0.05));
  CHECK(xl.params == 1557611200.0);
  CHECK(xl.block_params.size() == 50);  // embed, 48 blocks, head
  // Training FLOPs per token ~ 6 N (Kaplan et al.) plus attention.
  const double per_token = xl.flops_per_sample / 1024;
  CHECK(per_token > 6 * 1.47e9);
  CHECK(per_token < 6 * 1.75e9);
}

TEST_CASE("model cost: Llama-3-8B, Mistral-7B and Qwen2.5-7B match Hugging Face's parameter counts") {
  auto llama = [](int64_t layers, int64_t width, int64_t heads, int64_t kv, int64_t inter, int64_t vocab, bool bias) {
    Config c = default_config(Arch::Llama);
    c.set("layers", layers);
    c.set("width", width);
    c.set("heads", heads);
    c.set("kv_heads", kv);
    c.set("intermediate", inter);
    c.set("vocab", vocab);
    c.set("seq_len", int64_t(4096));
    c.set("qkv_bias", bias);
    REQUIRE(check_config(Arch::Llama, c).empty());
    return *model_cost(Arch::Llama, c);
  };
  // num_parameters() of LlamaForCausalLM etc. with the published configs.
  const ModelCost l3 = llama(32, 4096, 32, 8, 14336, 128256, false);
  CHECK(l3.params == 8030261248.0);
  CHECK(l3.block_params.size() == 34);
  CHECK(llama(32, 4096, 32, 8, 14336, 32000, false).params == 7241732096.0);   // Mistral-7B-v0.1
  CHECK(llama(28, 3584, 28, 4, 18944, 152064, true).params == 7615616512.0);   // Qwen2.5-7B
  const double per_token = l3.flops_per_sample / 4096;
  CHECK(per_token > 6 * 8.0e9);
  CHECK(per_token < 6 * 9.2e9);
  // The defaults: 8/3 width rounded to 256, as many kv heads as heads.
  Config d = default_config(Arch::Llama);
  CHECK(llama_intermediate(d) == 512);
  CHECK(llama_kv_heads(d) == 4);
  CHECK(llama_head_dim(d) == 32);
  d.set("kv_heads", int64_t(3));
  CHECK(check_config(Arch::Llama, d) == "heads (4) must be a multiple of kv_heads (3)");
}

TEST_CASE("estimator: Adam mixed precision holds ~16 bytes per parameter") {
  Workload w = parse(kBaseWorkload);
  JobShape shape;
  shape.arch = Arch::Gpt;
  shape.config = gpt_config(48, 1600, 25, 1024, 50257);
  shape.batch_size = 16;
  shape.hash = "xl";
  EstimateOptions o;
  o.precision = Precision::Bf16;
  const Estimator est(o, {}, {});
  const auto m = est.memory(shape, {"xl", Technique::Single, "", "A100-80GB", 1, 0});
  REQUIRE(m);
  const double P = model_cost(Arch::Gpt, shape.config)->params;
  // fp32 master weights 4 + bf16 copies 2 + gradients 4 + Adam m and v 8 = 18;
  // the classic fp16 recipe (2 + 2 + 4 + 4 + 4) is 16: within 15%.
  CHECK((m->weights + m->gradients + m->optimizer) / P == Approx(16).epsilon(0.15));
  // FSDP over 8 shards the states: about an eighth, plus one gathered block.
  const auto f = est.memory(shape, {"xl", Technique::Fsdp, "", "A100-80GB", 8, 0});
  CHECK(f->optimizer == Approx(m->optimizer / 8));
  // Keeping activations costs memory and saves the recomputed forward;
  // offloading leaves no shard or optimizer state on the device and adds copies.
  const auto keep = est.memory(shape, {"xl", Technique::Fsdp, "recompute=0", "A100-80GB", 8, 0});
  const auto off = est.memory(shape, {"xl", Technique::Fsdp, "offload=1", "A100-80GB", 8, 0});
  CHECK(keep->activations > f->activations);
  CHECK(off->optimizer == 0);
  CHECK(off->weights < f->weights);
  const auto t = [&](const char* knobs) { return *est.ideal_step_time(shape, {"xl", Technique::Fsdp, knobs, "A100-80GB", 8, 0}); };
  CHECK(t("recompute=0") < t(""));
  CHECK(t("offload=1") > t(""));
  // A pipeline of 4 stages, 16 micro-batches: 1F1B holds 4 of them, GPipe all 16.
  const auto one_f = est.memory(shape, {"xl", Technique::Pipeline, "micro=16", "A100-80GB", 4, 0});
  const auto gpipe = est.memory(shape, {"xl", Technique::Pipeline, "micro=16,schedule=gpipe", "A100-80GB", 4, 0});
  CHECK(one_f->activations == Approx(gpipe->activations / 4));
  // Infeasible on one 40 GB device with the reason; feasible with FSDP x8.
  EstimateOptions small = o;
  small.memory_budget = int64_t(40) << 30;
  const Estimator e40(small, {}, {});
  auto single = e40.estimate(shape, {"xl", Technique::Single, "", "A100-40GB", 1, 0});
  REQUIRE(single);
  CHECK_FALSE(single->feasible);
  CHECK(single->reason.find("over the 40GiB budget") != std::string::npos);
  CHECK(e40.estimate(shape, {"xl", Technique::Fsdp, "", "A100-40GB", 8, 0})->feasible);
  CHECK_FALSE(e40.estimate(shape, {"xl", Technique::Ddp, "", "A100-40GB", 1, 0})->feasible);
}

TEST_CASE("estimator: calibration fits the measured efficiency") {
  Workload w = parse(kBaseWorkload);
  JobSet jobs = expand_jobs(w);
  const JobShape& shape = jobs.shapes[0];
  const ProfileKey k{shape.hash, Technique::Single, "", "cpu", 1, 1};
  const Estimator raw({}, {}, jobs);
  const double ideal = *raw.ideal_step_time(shape, k);
  ProfileEntry measured;
  measured.key = k;
  measured.step_time = *raw.step_floor(shape, k) + ideal / 0.2;  // on cpu the floor adds: 20% of peak beyond it
  const Estimator cal({}, {measured}, jobs);
  bool calibrated = false;
  CHECK(cal.efficiency(Technique::Single, "cpu", &calibrated) == Approx(0.2));
  CHECK(calibrated);
  CHECK(cal.estimate(shape, k)->step_time == Approx(measured.step_time));
  // DDP on cpu borrows single's efficiency until it is measured itself.
  CHECK(cal.efficiency(Technique::Ddp, "cpu") == Approx(0.2));
  cal.efficiency(Technique::Single, "H100-80GB", &calibrated);
  CHECK_FALSE(calibrated);
}

TEST_CASE("profile store: a schema 1 store is migrated in place (startup and raw estimates 0 = unknown)") {
  const std::string path = temp_db() + ".v1";
  std::filesystem::remove(path);
  {
    Sqlite db(path, "profile store");
    db.exec(
        "CREATE TABLE profiles (shape TEXT NOT NULL, technique TEXT NOT NULL, knobs TEXT NOT NULL, device TEXT NOT NULL,"
        " devices INTEGER NOT NULL, threads INTEGER NOT NULL, shape_id TEXT NOT NULL, source TEXT NOT NULL,"
        " feasible INTEGER NOT NULL, reason TEXT NOT NULL, step_time REAL NOT NULL, spread REAL NOT NULL,"
        " timed_steps INTEGER NOT NULL, peak_memory INTEGER NOT NULL, accounted_memory INTEGER NOT NULL,"
        " measured_at REAL NOT NULL, version TEXT NOT NULL, PRIMARY KEY (shape, technique, knobs, device, devices, threads));"
        "INSERT INTO profiles VALUES ('abc', 'single', '', 'cpu', 1, 1, 'm/bs=8', 'measured', 1, '', 0.5, 0, 9, 1, 1, 1, 'old');"
        "INSERT OR REPLACE INTO meta VALUES ('schema_version', '1');");
  }
  {
    ProfileStore s(path);
    auto all = s.entries();
    REQUIRE(all.size() == 1);
    CHECK(all[0].step_time == 0.5);
    CHECK(all[0].startup == 0);
    CHECK(all[0].est_ideal == 0);
    CHECK(all[0].est_floor == 0);
    ProfileEntry e = all[0];
    e.est_ideal = 0.25;
    e.est_floor = 0.01;
    s.put(e);
    CHECK(s.get(e.key)->est_ideal == 0.25);
    CHECK(s.get(e.key)->est_floor == 0.01);
  }
  Sqlite db(path, "profile store");
  CHECK(db.schema_version(ProfileStore::kSchemaVersion) == 3);
  std::filesystem::remove(path);
}

TEST_CASE("profile store: commands that open a new store at once all open it (no 'database is locked')") {
  // Two `saturn plan` runs started together on a fresh store: each creates
  // and migrates it. Deferred transactions that both read, then both write,
  // failed one with SQLITE_BUSY at once (no busy wait can resolve that).
  for (int round = 0; round < 20; ++round) {
    const std::string path = temp_db() + ".race" + std::to_string(round);
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    std::vector<std::string> errors(6);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < errors.size(); ++t)
      threads.emplace_back([&, t] {
        try {
          ProfileStore s(path);
        } catch (const Error& e) {
          errors[t] = e.what();
        }
      });
    for (auto& t : threads) t.join();
    for (const auto& e : errors) CHECK(e == "");
    Sqlite db(path, "profile store");
    CHECK(db.schema_version(ProfileStore::kSchemaVersion) == ProfileStore::kSchemaVersion);
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
}

TEST_CASE("profile store: put, get, replace, schema version") {
  const std::string path = temp_db();
  std::filesystem::remove(path);
  ProfileEntry e;
  e.key = {"abc", Technique::Ddp, "", "cpu", 2, 1};
  e.shape_id = "m/bs=8";
  e.step_time = 0.0123;
  e.spread = 0.02;
  e.timed_steps = 9;
  e.peak_memory = 123456789;
  e.accounted_memory = 100000000;
  e.measured_at = 1.7e9;
  e.version = "0.1.0";
  e.startup = 0.85;
  {
    ProfileStore s(path);
    CHECK_FALSE(s.get(e.key));
    s.put(e);
  }
  {
    ProfileStore s(path);  // reopened: it persisted
    auto got = s.get(e.key);
    REQUIRE(got);
    CHECK(*got == e);
    ProfileKey other = e.key;
    other.devices = 3;
    CHECK_FALSE(s.get(other));
    e.feasible = false;
    e.reason = "out of memory";
    s.put(e);
    REQUIRE(s.entries().size() == 1);
    CHECK(s.entries()[0].reason == "out of memory");
    CHECK(s.entries({"nope"}).empty());
  }
  {
    // A newer schema is refused, not rewritten.
    ProfileStore s(path);
    (void)s;
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  {
    std::ofstream junk(path);
    junk << "this is not a database, just text that is long enough to have a header......................";
  }
  try {
    ProfileStore s(path);
    FAIL("opened a text file as a store");
  } catch (const Error& err) {
    CHECK(static_cast<int>(err.kind()) == 65);
    CHECK(std::string(err.what()).find("not a saturn profile store") != std::string::npos);
  }
  std::filesystem::remove(path);
}

TEST_CASE("trials: one per shape and strategy, not per learning rate") {
  // 3 learning rates x 1 batch size: one shape, measured once per strategy.
  Workload w = parse(with_line(13, "    lr: [1e-3, 3e-4, 1e-4]") + "techniques: [single, ddp, fsdp]\n");
  JobSet jobs = expand_jobs(w);
  REQUIRE(jobs.jobs.size() == 3);
  REQUIRE(jobs.shapes.size() == 1);
  auto groups = device_groups(w, false);
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].count == 2);
  CHECK(groups[0].model == "cpu");
  auto all = enumerate_trials(w, jobs, groups);
  // Without gradient accumulation (the profiler runs "mb" trials only where
  // less accumulation is over budget): single x1, ddp x2, fsdp x2 with and
  // without recompute.
  std::vector<Trial> trials;
  for (const auto& t : all)
    if (!knob_value(t.key.knobs, "mb")) trials.push_back(t);
  REQUIRE(trials.size() == 4);
  CHECK(trials[0].key.technique == Technique::Single);
  CHECK(trials[1].key.technique == Technique::Ddp);
  CHECK(trials[1].key.devices == 2);
  CHECK(trials[2].key.technique == Technique::Fsdp);
  CHECK(trials[2].key.devices == 2);
  CHECK(trials[2].key.knobs == "");
  CHECK(trials[3].key.knobs == "recompute=0");
  CHECK(trials[0].job == jobs.jobs[0].id);
  CHECK(naive_trial_count(w, jobs, groups) == 9);  // 3 jobs x 3 strategies
  CHECK(technique_device_counts(Technique::Spill, 8) == std::vector<int64_t>{1});
  CHECK(technique_device_counts(Technique::Pipeline, 4) == std::vector<int64_t>{2, 3, 4});
}

TEST_CASE("trials: none for what a model cannot do (torchscript: no pipeline or fusion, resnet: no fusion)") {
  Workload w = parse(
      "name: t\n"
      "cluster: {nodes: [{name: local, devices: {kind: cpu, count: 2}}]}\n"
      "data: {train: {format: synthetic, samples: 100}}\n"
      "models:\n"
      "  - {name: ts, arch: torchscript, path: m.pt, config: {seq_len: 16}}\n"
      "  - {name: g, arch: gpt}\n"
      "search: {grid: {lr: [1e-3, 3e-4]}}\n"
      "train: {steps: 10}\n"
      "techniques: [single, ddp, pipeline, fused]\n");
  const JobSet jobs = expand_jobs(w);
  const auto trials = enumerate_trials(w, jobs, device_groups(w, false));
  std::set<std::string> ts, gpt;
  for (const auto& t : trials)
    (jobs.shapes[t.shape].arch == Arch::Torchscript ? ts : gpt).insert(technique_name(t.key.technique));
  CHECK(ts == std::set<std::string>{"single", "ddp"});
  CHECK(gpt == std::set<std::string>{"single", "ddp", "pipeline", "fused"});
  CHECK(arch_refuses(Arch::Torchscript, Technique::Pipeline) ==
        std::optional<std::string>("a torchscript module is one block: it cannot be cut into pipeline stages"));
  CHECK(arch_refuses(Arch::Resnet, Technique::Fused) ==
        std::optional<std::string>("resnet models cannot be fused (gpt, llama, mlp and vit can)"));
  CHECK_FALSE(arch_refuses(Arch::Resnet, Technique::Pipeline));
  CHECK_FALSE(arch_refuses(Arch::Vit, Technique::Fused));
}

TEST_CASE("job runtime: steps from epochs and data, plus evaluation and checkpoints") {
  Workload w = parse(with_lines(14, 15, "train: {epochs: 2, eval_every: 5, eval_batches: 3}\n"));
  JobSet jobs = expand_jobs(w);
  // 100 synthetic samples, 10% held out: 90 train; batch 32 (default) -> ceil(2 * 90 / 32) = 6 steps.
  CHECK(train_samples(w, jobs.jobs[0]) == 90);
  CHECK(job_steps(w, jobs.jobs[0]) == std::ceil(2 * 90.0 / static_cast<double>(jobs.jobs[0].hp.batch_size)));
  ProfileEntry e;
  e.step_time = 0.5;
  const JobRuntime r = job_runtime(w, job_steps(w, jobs.jobs[0]), e, 1e9);
  CHECK(r.train_s == Approx(0.5 * static_cast<double>(r.steps)));
  CHECK(r.eval_s == Approx((1 + (r.steps - 1) / 5) * 3 * 0.5 / 3));
  CHECK(r.checkpoint_s == Approx(1.0));  // one 1 GB checkpoint at 1 GB/s
  // Time-based (the default, every 10 minutes): 1000 s of training and evaluation write one more.
  e.step_time = 1000.0 / static_cast<double>(r.steps) * 0.9;
  const JobRuntime t = job_runtime(w, r.steps, e, 1e9);
  REQUIRE(t.train_s + t.eval_s == Approx(1000).epsilon(0.2));
  CHECK(t.checkpoint_s == Approx(1.0 + std::floor((t.train_s + t.eval_s) / 600)));
  // A checkpoint of 20 s waits 60 x 20 s = 1200 s for the next: under 2%.
  CHECK(job_runtime(w, r.steps, e, 20e9).checkpoint_s == Approx(20.0 * (1 + std::floor((t.train_s + t.eval_s) / 1200))));
  w.train.checkpoint_seconds = 0;
  w.train.checkpoint_every = 2;  // by steps: at 2, 4 and the end (6)
  CHECK(job_runtime(w, 6, e, 1e9).checkpoint_s == Approx(3.0));
}

TEST_CASE("technique knobs: values and the worker flags they become") {
  CHECK(knob_value("micro=8,group=2", "group") == std::optional<std::string>("2"));
  CHECK_FALSE(knob_value("micro=8", "group"));
  CHECK_FALSE(knob_value("", "micro"));
  CHECK(technique_knobs(Technique::Pipeline, 2, 16, false, 1) == std::vector<std::string>{"micro=2", "micro=4", "micro=8"});
  CHECK(technique_knobs(Technique::Pipeline, 4, 6, true, 1) == std::vector<std::string>{"micro=4"});
  CHECK(technique_knobs(Technique::Ddp, 2, 16, true, 1) == std::vector<std::string>{"", "mb=4", "mb=2", "mb=1"});
  CHECK(technique_knobs(Technique::Single, 1, 6, true, 1) == std::vector<std::string>{"", "mb=3", "mb=1"});
  CHECK(technique_knobs(Technique::Single, 1, 1, true, 1) == std::vector<std::string>{""});
  CHECK(technique_knobs(Technique::Fsdp, 2, 16, false, 1) ==
        std::vector<std::string>{"", "recompute=0", "mb=4", "mb=2", "mb=1"});
  CHECK(technique_knobs(Technique::Fsdp, 4, 16, true, 1) ==
        std::vector<std::string>{"", "recompute=0", "offload=1", "mb=2", "mb=1"});
  CHECK(technique_knobs(Technique::Spill, 1, 16, true, 1) == std::vector<std::string>{""});
  // The next step toward no accumulation (a rank's share of 16 over 2 is 8).
  CHECK(less_accumulation("mb=4", 2, 16) == std::optional<std::string>(""));
  CHECK(less_accumulation("mb=2", 2, 16) == std::optional<std::string>("mb=4"));
  CHECK(less_accumulation("mb=3", 1, 6) == std::optional<std::string>(""));
  CHECK_FALSE(less_accumulation("recompute=0", 2, 16));
  CHECK(technique_knobs(Technique::Fused, 1, 16, false, 8) == std::vector<std::string>{"k=2", "k=4", "k=8"});
  CHECK(technique_knobs(Technique::Fused, 1, 16, false, 5) == std::vector<std::string>{"k=2", "k=4"});
  CHECK(technique_knobs(Technique::Fused, 1, 16, false, 1).empty());
  CHECK(fused_k("k=4") == 4);
}

TEST_CASE("model cost: the shipped config.json files (workloads/hf) give Hugging Face's parameter counts") {
  // num_parameters() of the published models.
  const std::vector<std::pair<std::string, double>> models = {{"llama-3-8b", 8030261248.0},
                                                              {"mistral-7b", 7241732096.0},
                                                              {"qwen2.5-7b", 7615616512.0},
                                                              {"gpt2-xl", 1557611200.0}};
  for (const auto& [name, params] : models) {
    INFO(name);
    const HfModel m = read_hf_config(source_dir() + "/workloads/hf/" + name);
    CHECK(model_cost(m.arch, m.config)->params == params);
  }
}

TEST_CASE("estimator: LoRA of Llama-3-8B fits one H100-80GB where full fine-tuning needs FSDP, and steps faster") {
  const HfModel m = read_hf_config(source_dir() + "/workloads/hf/llama-3-8b");
  JobShape full;
  full.arch = m.arch;
  full.config = m.config;
  full.config.set("seq_len", int64_t(2048));
  full.batch_size = 2;  // activations of 2 x 2048 tokens fit beside the base
  full.hash = "full";
  JobShape lora = full;
  lora.hash = "lora";
  lora.finetune.method = FinetuneMethod::Lora;
  lora.finetune.lora.rank = 16;
  lora.finetune = with_default_targets(lora.finetune, m.arch);
  // PEFT's print_trainable_parameters for r=16 on every projection.
  const ModelCost c = *model_cost(lora.arch, lora.config, lora.finetune);
  CHECK(c.trainable == 41943040.0);
  CHECK(c.params == 8030261248.0 + 41943040.0);
  EstimateOptions o;
  o.precision = Precision::Bf16;
  const Estimator est(o, {}, {});
  auto key = [](const char* shape, Technique t, int64_t n) { return ProfileKey{shape, t, "", "H100-80GB", n, 0}; };
  CHECK_FALSE(est.estimate(full, key("full", Technique::Single, 1))->feasible);
  CHECK(est.estimate(lora, key("lora", Technique::Single, 1))->feasible);
  CHECK(est.estimate(full, key("full", Technique::Fsdp, 4))->feasible);
  // Gradients and optimizer state are the adapters' alone.
  const auto lm = est.memory(lora, key("lora", Technique::Single, 1));
  CHECK(lm->optimizer == Approx(8 * 41943040.0));
  CHECK(lm->gradients == Approx(4 * 41943040.0));
  // At hf-plan's batch (16 x 2048) LoRA fits one H100 only accumulating
  // gradients over micro-batches of 2: the same step time, 1/8 of the activations.
  JobShape lora16 = lora;
  lora16.batch_size = 16;
  auto mb = [](const char* shape, Technique t, int64_t n, const char* knobs) {
    return ProfileKey{shape, t, knobs, "H100-80GB", n, 0};
  };
  CHECK_FALSE(est.estimate(lora16, mb("lora", Technique::Single, 1, ""))->feasible);
  CHECK_FALSE(est.estimate(lora16, mb("lora", Technique::Single, 1, "mb=4"))->feasible);
  const auto acc = est.estimate(lora16, mb("lora", Technique::Single, 1, "mb=2"));
  CHECK(acc->feasible);
  CHECK(*est.ideal_step_time(lora16, mb("lora", Technique::Single, 1, "mb=2")) ==
        Approx(*est.ideal_step_time(lora16, mb("lora", Technique::Single, 1, ""))));
  CHECK(est.memory(lora16, mb("lora", Technique::Single, 1, "mb=2"))->activations ==
        Approx(est.memory(lora16, mb("lora", Technique::Single, 1, ""))->activations / 8));
  // FSDP gathers the parameters again for each micro-batch.
  CHECK(*est.ideal_step_time(lora16, mb("lora", Technique::Fsdp, 2, "mb=2")) >
        *est.ideal_step_time(lora16, mb("lora", Technique::Fsdp, 2, "")));
  // No weight gradients for the frozen base: about 2/3 of the FLOPs; and
  // no optimizer pass over it: less again.
  CHECK(c.flops_per_sample / model_cost(full.arch, full.config)->flops_per_sample == Approx(2.0 / 3).epsilon(0.02));
  const double tl = *est.ideal_step_time(lora, key("lora", Technique::Single, 1)),
               tf = *est.ideal_step_time(full, key("full", Technique::Single, 1));
  CHECK(tl / tf < 0.65);
  CHECK(tl / tf > 0.4);
}

TEST_CASE("estimator: a step has a floor (operators x launch overhead): small models on GPUs take milliseconds") {
  JobShape tiny;
  tiny.arch = Arch::Gpt;
  tiny.config = gpt_config(2, 64, 4, 64, 256);
  tiny.batch_size = 8;
  tiny.hash = "tiny";
  JobShape xl = tiny;
  xl.config = gpt_config(48, 1600, 25, 1024, 50257);
  xl.hash = "xl";
  EstimateOptions o;
  const Estimator est(o, {}, {});
  const ProfileKey l4{"tiny", Technique::Single, "", "L4", 1, 0};
  // The FLOPs alone take microseconds; the step does not.
  CHECK(*est.ideal_step_time(tiny, l4) < 1e-4);
  const auto e = est.estimate(tiny, l4);
  CHECK(e->step_time >= 1e-3);
  CHECK(e->step_time == Approx(*est.step_floor(tiny, l4)));  // launch-bound: at the floor
  // A large model is compute-bound: its floor is a small part of its step.
  const ProfileKey a100{"xl", Technique::Single, "", "A100-80GB", 1, 0};
  CHECK(*est.step_floor(xl, a100) < 0.1 * est.estimate(xl, a100)->step_time);
  // On cpu the floor adds to the work (operators run one after another).
  const ProfileKey cpu{"tiny", Technique::Single, "", "cpu", 1, 1};
  CHECK(est.estimate(tiny, cpu)->step_time ==
        Approx(*est.step_floor(tiny, cpu) + *est.ideal_step_time(tiny, cpu) / o.default_efficiency_cpu));
  // A pipeline launches each stage's operators once per micro-batch.
  CHECK(*est.step_floor(tiny, {"tiny", Technique::Pipeline, "micro=8", "L4", 2, 0}) ==
        Approx(4 * *est.step_floor(tiny, l4)));
}

TEST_CASE("estimator: a job's fixed cost, by default and calibrated from what was measured on that device model") {
  const Workload w = parse(kBaseWorkload);
  const JobSet jobs = expand_jobs(w);
  EstimateOptions o;
  const Estimator raw(o, {}, jobs);
  bool calibrated = true;
  CHECK(raw.fixed_cost({"s", Technique::Single, "", "H100-80GB", 1, 0}, &calibrated) == o.fixed_cost_gpu);
  CHECK_FALSE(calibrated);
  CHECK(raw.fixed_cost({"s", Technique::Fsdp, "", "H100-80GB", 8, 0}) == o.fixed_cost_gpu + o.rendezvous_gpu);
  CHECK(raw.fixed_cost({"s", Technique::Single, "", "cpu", 1, 1}) == o.fixed_cost_cpu);
  // Measured on cpu: 0.4 and 0.6 s alone, 0.9 s on two devices.
  auto entry = [&](int64_t devices, double startup) {
    ProfileEntry e;
    e.key = {jobs.shapes[0].hash, devices > 1 ? Technique::Ddp : Technique::Single, "", "cpu", devices, 1};
    e.step_time = 0.01;
    e.startup = startup;
    return e;
  };
  const Estimator cal(o, {entry(1, 0.4), entry(1, 0.6), entry(2, 0.9)}, jobs);
  CHECK(cal.fixed_cost({"other", Technique::Single, "", "cpu", 1, 1}, &calibrated) == Approx(0.5));
  CHECK(calibrated);
  CHECK(cal.fixed_cost({"other", Technique::Fsdp, "", "cpu", 2, 1}) == Approx(0.9));
  // Only single-device ones measured: several devices add the rendezvous.
  const Estimator alone(o, {entry(1, 0.4)}, jobs);
  CHECK(alone.fixed_cost({"other", Technique::Ddp, "", "cpu", 2, 1}) == Approx(0.4 + o.rendezvous_cpu));
  // Other device models keep their defaults.
  CHECK(cal.fixed_cost({"other", Technique::Single, "", "L4", 1, 0}) == o.fixed_cost_gpu);
  // An estimated entry carries it.
  CHECK(cal.estimate(jobs.shapes[0], {jobs.shapes[0].hash, Technique::Single, "", "cpu", 1, 1})->startup == Approx(0.5));
}

TEST_CASE("estimator: the floor's scale and the rate are fitted to measured steps (least relative squares)") {
  // measured = 2 x floor + 3 x ideal, exactly, at several ratios.
  std::vector<std::array<double, 3>> points;
  for (auto [f, c] : {std::pair{1e-3, 1e-3}, {1e-3, 5e-3}, {2e-3, 1e-2}, {5e-4, 1e-4}}) points.push_back({f, c, 2 * f + 3 * c});
  auto [a, b] = fit_floor_and_rate(points);
  CHECK(a == Approx(2));
  CHECK(b == Approx(3));
  // One point: the floor kept (under 80% of the step), the rate from the rest.
  std::tie(a, b) = fit_floor_and_rate({{1e-3, 1e-3, 5e-3}});
  CHECK(a == 1);
  CHECK(b == Approx(4));
  // A floor over the measured step is scaled down to 80% of it.
  std::tie(a, b) = fit_floor_and_rate({{1e-2, 1e-3, 5e-3}});
  CHECK(a == Approx(0.4));
  CHECK(b == Approx(1));
}
