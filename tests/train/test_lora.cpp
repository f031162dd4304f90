// LoRA against Hugging Face PEFT: adapters on a transformers model's
// projections (tests/train/hf/lora_reference.py), trained in saturn from
// PEFT's own initial adapters, give PEFT's losses; only the adapters train
// and only they are checkpointed.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "core/hf_config.h"
#include "core/run_files.h"
#include "core/safetensors.h"
#include "train/checkpoint.h"
#include "train/fused_model.h"
#include "train/hf_export.h"
#include "train/lora_group.h"
#include "train/models/build.h"
#include "train/models/hf_weights.h"
#include "train/models/lora.h"
#include "train/optim.h"
#include "train/techniques/technique.h"
#include "reference_files.h"
#include "source_dir.h"

namespace fs = std::filesystem;
using namespace saturn;
using saturn::test::read_tensor;
using saturn::test::test_python;

namespace {


struct LoraFolder {
  fs::path path;
  explicit LoraFolder(const std::string& family) {
    path = fs::temp_directory_path() / ("saturn-lora-" + family + "-" + std::to_string(::getpid()));
    fs::remove_all(path);
    const std::string cmd = test_python() + " '" + source_dir() + "/tests/train/hf/lora_reference.py' " + family + " '" +
                            path.string() + "' >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  ~LoraFolder() { fs::remove_all(path); }
};


FinetuneSpec lora_spec(Arch arch) {
  FinetuneSpec s;
  s.method = FinetuneMethod::Lora;
  s.lora.rank = 4;
  s.lora.alpha = 8;
  return with_default_targets(s, arch);
}

// The folder's base model with adapters, PEFT's initial ones loaded.
train::BlockModel lora_model(const LoraFolder& d, Arch* arch) {
  const HfModel m = read_hf_config(d.path.string());
  *arch = m.arch;
  train::BlockModel model = train::build_model(m.arch, m.config, "", /*init=*/false);
  train::load_pretrained(m.arch, model, d.path.string());
  torch::manual_seed(0);
  train::apply_lora(m.arch, model, lora_spec(m.arch));
  auto adapters = train::peft_parameters(m.arch, model);
  SafetensorsFile f((d.path / "adapter-init" / "adapter_model.safetensors").string());
  REQUIRE(f.tensors().size() == adapters.size());
  torch::NoGradGuard g;
  for (auto& [name, p] : adapters) {
    INFO(name);
    REQUIRE(f.find(name));
    p.copy_(read_tensor(f, name));
  }
  return model;
}

}  // namespace

TEST_CASE("lora: 20 steps from PEFT's adapters give PEFT's losses under torch AdamW (llama with GQA, gpt2)", "[hf]") {
  torch::set_num_threads(1);
  for (const char* family : {"llama-gqa", "gpt2"}) {
    INFO(family);
    LoraFolder d(family);
    Arch arch{};
    train::BlockModel model = lora_model(d, &arch);
    model->train();
    // Only the adapters train: the optimizer's parameters are exactly them.
    auto params = train::trainable(*model);
    const auto adapters = train::peft_parameters(arch, model);
    REQUIRE(params.size() == adapters.size());
    for (const auto& p : params) {
      bool found = false;
      for (const auto& [name, a] : adapters) found = found || a.is_same(p);
      CHECK(found);
    }
    SafetensorsFile ref((d.path / "lora_reference.safetensors").string());
    const double worst =
        saturn::test::worst_loss_difference(model, read_tensor(ref, "train_tokens"), read_tensor(ref, "train_losses"));
    INFO("worst relative loss difference over 20 steps = " << worst);
    CHECK(worst < 1e-4);
    // Frozen weights got no gradient.
    for (const auto& [name, p] : train::hf_parameters(arch, model)) {
      INFO(name);
      CHECK(!p.grad().defined());
    }
  }
}

TEST_CASE("lora: a checkpoint holds the adapters and their optimizer state, no base weight, and restores them") {
  torch::set_num_threads(1);
  LoraFolder d("llama-gqa");
  Arch arch{};
  train::BlockModel model = lora_model(d, &arch);
  auto params = train::trainable(*model);
  Hyperparams hp;
  auto opt = train::make_optimizer(params, Optimizer::AdamW, hp);
  auto tokens = torch::randint(0, 96, {2, 9}, torch::kLong);
  train::BlockModelImpl::loss(model->forward(tokens.slice(1, 0, -1)), tokens.slice(1, 1)).backward();
  opt->step();
  const fs::path dir = d.path / "ckpt";
  train::Checkpointer(dir.string()).save(1, model, *opt, nlohmann::json::object());
  // Every tensor in the model archive is an adapter (lora_A / lora_B).
  torch::serialize::InputArchive archive, m;
  archive.load_from((dir / (run_files::checkpoint_stem(1) + ".pt")).string());
  archive.read("model", m);
  int64_t adapters = 0;
  std::function<void(torch::serialize::InputArchive&, const std::string&)> walk =
      [&](torch::serialize::InputArchive& a, const std::string& prefix) {
        for (const auto& key : a.keys()) {
          torch::serialize::InputArchive sub;
          if (a.try_read(key, sub)) {
            walk(sub, prefix + key + ".");
            continue;
          }
          INFO(prefix + key);
          CHECK((key == "lora_A" || key == "lora_B"));
          ++adapters;
        }
      };
  walk(m, "");
  CHECK(adapters == static_cast<int64_t>(params.size()));
  // A fresh model with the folder's base loads it and gives the same logits.
  Arch arch2{};
  train::BlockModel other = lora_model(d, &arch2);
  auto params2 = train::trainable(*other);
  auto opt2 = train::make_optimizer(params2, Optimizer::AdamW, hp);
  REQUIRE(train::Checkpointer(dir.string()).load_latest(other, *opt2, [](const std::string& w) { FAIL(w); }));
  model->eval();
  other->eval();
  torch::NoGradGuard g;
  CHECK(torch::equal(model->forward(tokens), other->forward(tokens)));
}

namespace {

// Runs a Python helper; its output file's tensors.
void run_python(const std::string& args) {
  const std::string cmd = test_python() + " " + args + " >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

void write_tokens(const fs::path& path, const torch::Tensor& tokens) {
  auto t = tokens.contiguous();
  write_safetensors(path.string(), {{"tokens", StDtype::I64, t.sizes().vec(), [t](char* dst) {
                                       std::memcpy(dst, t.data_ptr<int64_t>(), static_cast<size_t>(t.numel()) * 8);
                                     }}});
}

double relative_error(const torch::Tensor& ours, const torch::Tensor& theirs) {
  REQUIRE(ours.sizes() == theirs.sizes());
  return ((ours - theirs).abs().max() / theirs.abs().max()).item<double>();
}

}  // namespace

TEST_CASE("lora: saturn export writes adapters PEFT loads with saturn's logits, and --merge equals merge_and_unload "
          "(with train_embeddings too, the head tied)", "[hf]") {
  torch::set_num_threads(1);
  for (const char* family : {"llama-gqa", "gpt2"}) {
    LoraFolder d(family);
    for (bool embeddings : {false, true}) {
      INFO(family << (embeddings ? ", train_embeddings" : ""));
      Arch arch{};
      train::BlockModel model = lora_model(d, &arch);  // PEFT's adapters, lora_B drawn: they change the output
      if (embeddings) {  // the embedding (and the head tied to it) trained away from the base's
        torch::NoGradGuard g;
        for (auto& [name, p] : train::hf_parameters(arch, model))
          if (name == "model.embed_tokens.weight" || name == "transformer.wte.weight") {
            p.add_(torch::randn(p.sizes()) * 0.1);
            p.requires_grad_(true);
          }
      }
      const fs::path job = d.path / (embeddings ? "run-emb" : "run") / "jobs" / "j";
      {
        auto params = train::trainable(*model);
        Hyperparams hp;
        auto opt = train::make_optimizer(params, Optimizer::AdamW, hp);
        train::Checkpointer(run_files::checkpoint_dir(job.string())).save(3, model, *opt, nlohmann::json::object());
      }
      train::ExportSource s;
      s.arch = arch;
      s.config = read_hf_config(d.path.string()).config;
      s.from_dir = d.path.string();
      s.job_dir = job.string();
      s.finetune = lora_spec(arch);
      s.finetune.lora.train_embeddings = embeddings;
      const std::string adapter = (d.path / (embeddings ? "adapter-emb" : "adapter")).string();
      const std::string merged = (d.path / (embeddings ? "merged-emb" : "merged")).string();
      const train::Exported a = train::export_hf(s, adapter);
      CHECK(a.adapters);
      CHECK(fs::exists(adapter + "/adapter_config.json"));
      CHECK(!fs::exists(adapter + "/model.safetensors"));
      s.merge = true;
      const train::Exported m = train::export_hf(s, merged);
      CHECK(!m.adapters);

      const auto tokens = torch::randint(0, 96, {2, 12}, torch::kLong);
      write_tokens(d.path / "tokens.safetensors", tokens);
      model->eval();
      torch::Tensor ours;
      {
        torch::NoGradGuard g;
        ours = model->forward(tokens);
      }
      const std::string dir = d.path.string();
      run_python("'" + source_dir() + "/tests/train/hf/lora_reference.py' --logits '" + dir + "' '" + adapter + "' '" +
                 dir + "/tokens.safetensors' '" + dir + "/peft.safetensors'");
      SafetensorsFile peft_out(dir + "/peft.safetensors");
      CHECK(relative_error(ours, read_tensor(peft_out, "logits")) < 1e-5);
      run_python("'" + source_dir() + "/tests/train/hf/exported_logits.py' '" + merged + "' '" + dir +
                 "/tokens.safetensors' '" + dir + "/merged.safetensors'");
      SafetensorsFile merged_out(dir + "/merged.safetensors");
      CHECK(relative_error(read_tensor(merged_out, "logits"), read_tensor(peft_out, "merged_logits")) < 1e-5);
      CHECK(relative_error(read_tensor(merged_out, "logits"), ours) < 1e-5);
    }
  }
}

TEST_CASE("lora: export refuses what it cannot write, in one line") {
  train::ExportSource s;
  s.arch = Arch::Llama;
  s.config = default_config(Arch::Llama);
  s.job_dir = "/nonexistent";
  s.merge = true;
  CHECK_THROWS_WITH(train::export_hf(s, "/tmp/unused"),
                    "--merge: the job fine-tuned every weight (merge folds LoRA adapters in)");
  s.merge = false;
  s.finetune = lora_spec(Arch::Llama);
  CHECK_THROWS_WITH(train::export_hf(s, "/tmp/unused"),
                    "the job's LoRA adapters have no base folder to load onto (the model has no from); export "
                    "--merge writes the whole model");
}

namespace {

double worst_relative(const torch::Tensor& ours, const torch::Tensor& theirs) {
  return ((ours - theirs).abs().max() / theirs.abs().max().clamp_min(1e-12)).item<double>();
}

}  // namespace

TEST_CASE("lora: a fused group holds one base and K adapter sets, and job k's adapters, logits and gradients are its unfused model's") {
  torch::set_num_threads(1);
  LoraFolder d("llama-gqa");
  const HfModel hf = read_hf_config(d.path.string());
  // Four jobs on one folder: other seeds (other initial A) and alphas.
  const std::vector<int64_t> seeds = {1, 2, 1, 3};
  const std::vector<double> alphas = {8, 16, 8, 4};
  std::vector<train::TrainJob> jobs(seeds.size());
  for (size_t k = 0; k < jobs.size(); ++k) {
    jobs[k].id = "m/" + std::to_string(k);
    jobs[k].arch = hf.arch;
    jobs[k].config = hf.config;
    jobs[k].from_dir = d.path.string();
    jobs[k].hp.seed = seeds[k];
    jobs[k].finetune = lora_spec(hf.arch);
    jobs[k].finetune.lora.alpha = alphas[k];
  }
  const auto K = static_cast<int64_t>(jobs.size());
  train::LoraGroup group(jobs, torch::kCPU);
  // Each job alone, as build_job_model makes it.
  std::vector<train::BlockModel> alone;
  for (const auto& job : jobs) {
    torch::manual_seed(job.hp.seed);
    auto m = train::build_model(job.arch, job.config, "", /*init=*/false);
    train::load_pretrained(job.arch, m, job.from_dir);
    train::apply_lora(job.arch, m, job.finetune);
    m->train();
    alone.push_back(m);
  }
  int64_t base = 0, adapters = 0;
  for (auto& p : alone[0]->parameters()) (p.requires_grad() ? adapters : base) += p.numel() * 4;
  CHECK(group.base_bytes() == base);          // one copy of the base
  CHECK(group.adapter_bytes() == K * adapters);  // K adapter sets
  // Initial adapters: job k's own draw.
  for (int64_t k = 0; k < K; ++k) {
    auto plain = group.plain();
    group.extract(k, plain);
    const auto mine = train::trainable(*plain), theirs = train::trainable(*alone[static_cast<size_t>(k)]);
    REQUIRE(mine.size() == theirs.size());
    for (size_t i = 0; i < mine.size(); ++i) CHECK(torch::equal(mine[i], theirs[i]));
  }
  CHECK_FALSE(torch::equal(group.params()[0][0], group.params()[0][1]));  // seeds 1 and 2 draw other A
  // B drawn so the adapters matter, then the same adapters in each model alone.
  {
    torch::NoGradGuard g;
    torch::manual_seed(7);
    for (torch::Tensor p : group.params()) p.copy_(torch::randn_like(p) * 0.05);
  }
  for (int64_t k = 0; k < K; ++k) group.extract(k, alone[static_cast<size_t>(k)]);
  auto tokens = torch::randint(0, hf.config.integer("vocab"), {K, 3, 9}, torch::kLong);
  auto x = tokens.slice(2, 0, -1), y = tokens.slice(2, 1);
  auto logits = group.forward(x);
  train::FusedModel::losses(logits, y).sum().backward();
  for (int64_t k = 0; k < K; ++k) {
    CAPTURE(k);
    auto& m = alone[static_cast<size_t>(k)];
    auto out = m->forward(x[k]);
    CHECK(worst_relative(logits[k].detach(), out.detach()) < 1e-5);
    train::BlockModelImpl::loss(out, y[k]).backward();
    const auto theirs = train::trainable(*m);
    for (size_t i = 0; i < theirs.size(); ++i) CHECK(worst_relative(group.params()[i].grad()[k], theirs[i].grad()) < 1e-5);
  }
}

TEST_CASE("lora: a fused group refuses jobs that do not share a base, in one line") {
  train::TrainJob a;
  a.id = "m/seed=1";
  a.arch = Arch::Gpt;
  a.config = default_config(Arch::Gpt);
  for (auto [k, v] : std::vector<std::pair<std::string, int64_t>>{{"layers", 1}, {"width", 16}, {"heads", 2}, {"seq_len", 8}, {"vocab", 32}})
    a.config.set(k, v);
  a.hp.seed = 1;
  a.finetune = lora_spec(Arch::Gpt);
  train::TrainJob b = a;
  b.id = "m/seed=2";
  b.hp.seed = 2;
  try {
    train::LoraGroup g({a, b}, torch::kCPU);
    FAIL("two random bases fused");
  } catch (const saturn::Error& e) {
    CHECK(e.kind() == ErrorKind::Usage);
    CHECK(std::string(e.what()) == "--technique fused: m/seed=2 and m/seed=1 draw their random bases from different seeds; "
                                   "a fused LoRA group shares one base");
  }
  b.hp.seed = 1;
  b.finetune.lora.rank = 8;
  CHECK_THROWS_WITH(train::LoraGroup({a, b}, torch::kCPU),
                    "--technique fused: m/seed=2 and m/seed=1 adapt with different ranks or targets; a fused LoRA group "
                    "shares one shape");
}
