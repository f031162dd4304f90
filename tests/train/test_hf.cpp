// Hugging Face models against transformers itself: a small random model of
// each family made and saved by transformers (tests/train/hf/reference.py,
// run with the test Python, SATURN_PYTHON), read here through config.json
// and safetensors (once sharded); saturn's float32 logits on the same
// tokens equal transformers' within 1e-5 relative.
#include <catch2/catch.hpp>

#include <malloc.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <filesystem>
#include <memory>

#include "../unit/temp_dir.h"
#include "reference_files.h"
#include "core/error.h"
#include "core/hf_config.h"
#include "core/run_files.h"
#include "core/safetensors.h"
#include "profile/model_cost.h"
#include "train/checkpoint.h"
#include "train/data/dataset.h"
#include "train/hf_export.h"
#include "train/models/build.h"
#include "train/models/hf_weights.h"
#include "train/models/lora.h"
#include "train/optim.h"
#include "train/techniques/technique.h"
#include "source_dir.h"

namespace fs = std::filesystem;
using namespace saturn;
using saturn::test::read_tensor;
using saturn::test::test_python;

namespace {

using saturn::test::Folder;


// The folder's model in saturn, in evaluation mode.
train::BlockModel load_model(const Folder& d) {
  const HfModel m = read_hf_config(d.path.string());
  train::BlockModel model = train::build_model(m.arch, m.config, "");
  std::vector<std::unique_ptr<SafetensorsFile>> owned;
  std::vector<const SafetensorsFile*> files;
  for (const auto& p : hf_weight_files(d.path.string())) {
    owned.push_back(std::make_unique<SafetensorsFile>(p));
    files.push_back(owned.back().get());
  }
  train::load_hf_weights(m.arch, model, files);
  model->eval();
  return model;
}

// The folder's model's logits on the reference tokens, and transformers'.
std::pair<torch::Tensor, torch::Tensor> logits(const Folder& d) {
  train::BlockModel model = load_model(d);
  SafetensorsFile ref((d.path / "reference.safetensors").string());
  torch::NoGradGuard g;
  return {model->forward(read_tensor(ref, "tokens")), read_tensor(ref, "logits")};
}

void check_close(const torch::Tensor& ours, const torch::Tensor& theirs) {
  REQUIRE(ours.sizes() == theirs.sizes());
  const double err = ((ours - theirs).abs().max() / theirs.abs().max()).item<double>();
  INFO("max |difference| / max |logit| = " << err);
  CHECK(err < 1e-5);
}

}  // namespace

TEST_CASE("hf: gpt2, llama, llama with GQA and a tied head, llama3 rope, mistral and qwen2 logits equal transformers'", "[hf]") {
  torch::set_num_threads(1);
  for (const char* family : {"gpt2", "llama", "llama-gqa", "llama3-rope", "mistral", "qwen2"}) {
    INFO(family);
    Folder d(family, 0);
    auto [ours, theirs] = logits(d);
    check_close(ours, theirs);
  }
}

TEST_CASE("hf: a prompt/completion batch's loss equals transformers' with labels -100 on the prompt", "[hf]") {
  Folder d("llama", 0);
  train::BlockModel model = load_model(d);
  // A byte-level tokenizer of 95 ids below the model's 96: a-z, space,
  // newline, and an end-of-text token (94); pairs of those letters.
  saturn::test::TempDir dir("masked");
  nlohmann::json vocab = nlohmann::json::object();
  for (int c = 0; c < 26; ++c) vocab[std::string(1, static_cast<char>('a' + c))] = c;
  vocab["\xC4\xA0"] = 26;
  vocab["\xC4\x8A"] = 27;
  std::ofstream(dir.path / "tokenizer.json")
      << nlohmann::json{{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", nlohmann::json::array()}}},
                        {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
                        {"added_tokens", {{{"id", 94}, {"content", "<|endoftext|>"}, {"special", true}}}}}.dump();
  std::ofstream pairs(dir.path / "pairs.jsonl");
  for (int i = 0; i < 12; ++i) {
    std::string prompt = "question ", answer;
    for (int k = 0; k <= i % 5; ++k) prompt += static_cast<char>('a' + (i * 7 + k) % 26);
    for (int k = 0; k < 3 + i % 4; ++k) answer += static_cast<char>('a' + (i * 3 + k * 5) % 26);
    pairs << nlohmann::json{{"prompt", prompt + "\n"}, {"completion", answer}}.dump() << "\n";
  }
  pairs.close();
  DataSpec spec;
  spec.train.format = DataFormat::Jsonl;
  spec.train.path = (dir.path / "pairs.jsonl").string();
  spec.tokenizer = (dir.path / "tokenizer.json").string();
  spec.valid_fraction = 0;
  train::InputShape shape;
  shape.seq_len = 12;
  shape.vocab = 96;
  const auto cache = dir.path / "cache";
  ::setenv("XDG_CACHE_HOME", cache.string().c_str(), 1);
  const train::DataSplit split = train::open_data(spec, shape, [](const std::string& p) { return p; });
  ::unsetenv("XDG_CACHE_HOME");
  REQUIRE(split.train->size() >= 4);
  const train::Batch b = split.train->batch({0, 1, 2, 3});
  // Some targets masked, some trained.
  const int64_t ignored = (b.target == train::kIgnore).sum().item<int64_t>();
  CHECK(ignored > 0);
  CHECK(ignored < b.target.numel());
  CHECK(split.train->trained_targets({0, 1, 2, 3}) == b.target.numel() - ignored);
  torch::NoGradGuard g;
  const double ours = train::BlockModelImpl::loss(model->forward(b.input), b.target).item<double>();
  // The same windows for transformers: input ids then the last target, the mask from the targets.
  nlohmann::json windows = nlohmann::json::array(), mask = nlohmann::json::array();
  for (int64_t r = 0; r < 4; ++r) {
    std::vector<int64_t> w, k = {0};
    for (int64_t t = 0; t < 12; ++t) w.push_back(b.input[r][t].item<int64_t>());
    for (int64_t t = 0; t < 12; ++t) {
      const int64_t tg = b.target[r][t].item<int64_t>();
      k.push_back(tg != train::kIgnore);
      if (t == 11) w.push_back(tg == train::kIgnore ? 0 : tg);
      else if (tg != train::kIgnore) CHECK(tg == w[static_cast<size_t>(t) + 1]);
    }
    windows.push_back(w);
    mask.push_back(k);
  }
  std::ofstream(dir.path / "batch.json") << nlohmann::json{{"windows", windows}, {"mask", mask}}.dump();
  const std::string cmd = test_python() + " '" + source_dir() + "/tests/train/hf/masked_loss.py' '" + d.path.string() +
                          "' '" + (dir.path / "batch.json").string() + "' > '" + (dir.path / "loss.txt").string() + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const double theirs = std::stod(train::read_file((dir.path / "loss.txt").string()));
  INFO("saturn " << ours << ", transformers " << theirs);
  CHECK(std::abs(ours - theirs) < 1e-5);
}

TEST_CASE("hf: a sharded folder loads as the single file does") {
  torch::set_num_threads(1);
  Folder d("llama-gqa", 20000);
  REQUIRE(fs::exists(d.path / "model.safetensors.index.json"));
  REQUIRE(hf_weight_files(d.path.string()).size() > 1);
  auto [ours, theirs] = logits(d);
  check_close(ours, theirs);
  // A missing shard is NoInput naming it.
  const std::string shard = hf_weight_files(d.path.string()).back();
  fs::remove(shard);
  try {
    hf_weight_files(d.path.string());
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 66);
    CHECK(std::string(e.what()) == shard + ": missing (" + (d.path / "model.safetensors.index.json").string() + " lists it)");
  }
}

TEST_CASE("hf: a weight whose shape disagrees with config.json is one line naming the file and the tensor") {
  torch::set_num_threads(1);
  Folder d("llama", 0);
  HfModel m = read_hf_config(d.path.string());
  m.config.set("intermediate", int64_t(96));  // the file holds 112
  train::BlockModel model = train::build_model(m.arch, m.config, "");
  SafetensorsFile f((d.path / "model.safetensors").string());
  CHECK_THROWS_WITH(train::load_hf_weights(m.arch, model, {&f}),
                    f.path() + ": tensor \"model.layers.0.mlp.down_proj.weight\" has shape [64, 112]; the config "
                               "needs [64, 96]");
}

TEST_CASE("hf: 20 steps of full fine-tuning give transformers' losses under torch AdamW (gpt2, llama with GQA, llama3 rope, mistral, qwen2)", "[hf]") {
  torch::set_num_threads(1);
  for (const char* family : {"gpt2", "llama-gqa", "llama3-rope", "mistral", "qwen2"}) {
    INFO(family);
    Folder d(family, 0);
    const HfModel m = read_hf_config(d.path.string());
    train::BlockModel model = train::build_model(m.arch, m.config, "");
    train::load_pretrained(m.arch, model, d.path.string());
    SafetensorsFile ref((d.path / "reference.safetensors").string());
    const double worst =
        saturn::test::worst_loss_difference(model, read_tensor(ref, "train_tokens"), read_tensor(ref, "train_losses"));
    INFO("worst relative loss difference over 20 steps = " << worst);
    CHECK(worst < 1e-4);
  }
}

TEST_CASE("hf: a GPT2Model checkpoint (names without transformer., mask buffers kept) loads as transformers' own") {
  torch::set_num_threads(1);
  Folder d("gpt2", 0);
  // Rewrite model.safetensors as the original GPT-2 releases store it.
  const fs::path file = d.path / "model.safetensors";
  std::deque<std::vector<float>> keep;  // stable references for the fill functions
  std::vector<StWrite> out;
  {
    SafetensorsFile f(file.string());
    for (const StTensor& t : f.tensors()) {
      if (t.name == "lm_head.weight") continue;
      keep.push_back(f.read_f32(t));
      const std::string name = t.name.rfind("transformer.", 0) == 0 ? t.name.substr(12) : t.name;
      out.push_back({name, StDtype::F32, t.shape, [&v = keep.back()](char* dst) {
                       std::memcpy(dst, v.data(), v.size() * sizeof(float));
                     }});
    }
  }
  for (const char* buffer : {"h.0.attn.bias", "h.1.attn.masked_bias"}) {
    keep.emplace_back(64 * 64, 1.0f);
    out.push_back({buffer, StDtype::F32, {1, 1, 64, 64}, [&v = keep.back()](char* dst) {
                     std::memcpy(dst, v.data(), v.size() * sizeof(float));
                   }});
  }
  write_safetensors(file.string(), out);
  REQUIRE(SafetensorsFile(file.string()).find("wte.weight"));
  auto [ours, theirs] = logits(d);
  check_close(ours, theirs);
}

namespace {

// Saves `model` as a job's newest checkpoint in JOB_DIR (an AdamW step's
// state with it, as training leaves it).
void save_checkpoint(train::BlockModel& model, const std::string& job_dir) {
  Hyperparams hp;
  auto params = train::trainable(*model);
  auto opt = train::make_optimizer(params, Optimizer::AdamW, hp);
  train::Checkpointer(run_files::checkpoint_dir(job_dir)).save(7, model, *opt, nlohmann::json::object());
}

// transformers' logits for the exported folder on the int64 tokens [2, 12].
torch::Tensor transformers_logits(const fs::path& folder, const torch::Tensor& tokens, std::string* cls) {
  const fs::path in = folder.string() + "-tokens.safetensors", out = folder.string() + "-logits.safetensors";
  auto t = tokens.contiguous();
  write_safetensors(in.string(), {{"tokens", StDtype::I64, t.sizes().vec(), [t](char* dst) {
                                     std::memcpy(dst, t.data_ptr<int64_t>(), static_cast<size_t>(t.numel()) * 8);
                                   }}});
  const std::string cmd = test_python() + " '" + source_dir() +
                          "/tests/train/hf/exported_logits.py' '" + folder.string() + "' '" + in.string() + "' '" +
                          out.string() + "' 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  SafetensorsFile f(out.string());
  *cls = f.metadata().at("class");
  return read_tensor(f, "logits");
}

}  // namespace

TEST_CASE("hf: saturn export writes folders transformers loads, with saturn's logits", "[hf]") {
  torch::set_num_threads(1);
  struct Case {
    const char* name;
    Arch arch;
    Config config;
    std::string family;     // a reference folder to start from, or "" (saturn's own config)
    const char* cls;        // the class transformers picks
  };
  Config gpt = default_config(Arch::Gpt);
  gpt.set("vocab", int64_t(96));
  gpt.set("seq_len", int64_t(16));
  gpt.set("tied_head", false);
  Config qwen = default_config(Arch::Llama);
  qwen.set("vocab", int64_t(96));
  qwen.set("width", int64_t(64));
  qwen.set("kv_heads", int64_t(2));
  qwen.set("qkv_bias", true);
  qwen.set("rope_factor", 2.0);
  std::vector<Case> cases = {{"gpt2 folder", Arch::Gpt, {}, "gpt2", "GPT2LMHeadModel"},
                             {"llama folder", Arch::Llama, {}, "llama-gqa", "LlamaForCausalLM"},
                             {"saturn gpt", Arch::Gpt, gpt, "", "GPT2LMHeadModel"},
                             {"saturn llama with biases", Arch::Llama, qwen, "", "Qwen2ForCausalLM"}};
  for (const Case& c : cases) {
    INFO(c.name);
    test::TempDir d("export");
    train::ExportSource s;
    s.arch = c.arch;
    s.config = c.config;
    std::unique_ptr<Folder> folder;
    if (!c.family.empty()) {
      folder = std::make_unique<Folder>(c.family, 0);
      const HfModel m = read_hf_config(folder->path.string());
      s.config = m.config;
      s.from_dir = folder->path.string();
    }
    torch::manual_seed(3);
    train::BlockModel model = train::build_model(s.arch, s.config, "");
    if (folder) train::load_pretrained(s.arch, model, s.from_dir);
    {
      torch::NoGradGuard g;  // move away from the folder's weights: the export must be the checkpoint's
      for (auto& p : model->parameters()) p.add_(torch::randn_like(p) * 0.01);
    }
    s.job_dir = (d.path / "job").string();
    save_checkpoint(model, s.job_dir);
    const fs::path out = d.path / "exported";
    const train::Exported e = train::export_hf(s, out.string());
    CHECK(e.step == 7);
    CHECK(fs::exists(out / "config.json"));
    const torch::Tensor tokens = torch::randint(0, 96, {2, 12}, torch::kLong);
    model->eval();
    torch::Tensor ours;
    {
      torch::NoGradGuard g;
      ours = model->forward(tokens);
    }
    std::string cls;
    const torch::Tensor theirs = transformers_logits(out, tokens, &cls);
    CHECK(cls == c.cls);
    check_close(ours, theirs);
    // A second export into the same folder is refused; nothing is changed.
    CHECK_THROWS_WITH(train::export_hf(s, out.string()), out.string() + ": exists and is not an empty folder (export writes a new one)");
  }
}

TEST_CASE("hf: export's dtype is the one asked, else the base folder's torch_dtype or dtype, else float32") {
  CHECK(train::export_dtype("auto", "") == "float32");
  CHECK(train::export_dtype("auto", R"({"torch_dtype": "bfloat16"})") == "bfloat16");
  CHECK(train::export_dtype("auto", R"({"dtype": "float16", "model_type": "llama"})") == "float16");
  CHECK(train::export_dtype("auto", R"({"torch_dtype": "int8"})") == "float32");
  CHECK(train::export_dtype("auto", "not json") == "float32");
  CHECK(train::export_dtype("fp32", R"({"torch_dtype": "bfloat16"})") == "float32");
  CHECK(train::export_dtype("bf16", "") == "bfloat16");
  CHECK(train::export_dtype("fp16", "") == "float16");
  CHECK_THROWS_WITH(train::export_dtype("half", ""), "--dtype: expected auto, bf16, fp16 or fp32, got \"half\"");
}

namespace {

// Bytes malloc hands out (small blocks and mapped ones).
int64_t malloc_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<int64_t>(m.uordblks + m.hblkhd);
}

// What a training forward and its loss keep for backward, per sample: the
// growth of malloc's in-use bytes from `small` to `large` samples.
double kept_per_sample(Arch arch, const Config& c, int64_t small, int64_t large, const FinetuneSpec& ft = {}) {
  torch::manual_seed(0);
  train::BlockModel model = train::build_model(arch, c, "");
  train::apply_lora(arch, model, ft);
  model->train();
  auto kept = [&](int64_t batch) {
    torch::Tensor in, target;
    if (arch == Arch::Vit) {
      const int64_t side = c.integer("image");
      in = torch::randn({batch, c.integer("channels"), side, side});
      target = torch::randint(0, c.integer("classes"), {batch}, torch::kLong);
    } else {
      const auto tokens = torch::randint(0, c.integer("vocab"), {batch, c.integer("seq_len") + 1}, torch::kLong);
      in = tokens.slice(1, 0, -1).contiguous(), target = tokens.slice(1, 1).contiguous();
    }
    const int64_t before = malloc_in_use();
    auto loss = train::BlockModelImpl::loss(model->forward(in), target);
    const int64_t after = malloc_in_use();
    loss.backward();
    return static_cast<double>(after - before);
  };
  kept(small);  // warm-up: the allocator's first blocks
  return (kept(large) - kept(small)) / static_cast<double>(large - small);
}

}  // namespace

TEST_CASE("model_cost: activation bytes per sample are what the forward pass keeps (gpt, llama, vit)") {
  torch::set_num_threads(1);
  // Bugs fixed: the estimate counted T x T attention scores per head, which
  // the fused attention kernels never keep (it was 1.8x the measured bytes);
  // then logits, a transposed copy and rotation inputs nothing keeps, and
  // missed dropout's masks (gpt 1.25x, with dropout 0.86x; llama 1.05x).
  std::vector<std::pair<std::string, std::pair<Arch, Config>>> cases;
  Config llama = default_config(Arch::Llama);
  llama.set("kv_heads", int64_t(2));
  llama.set("seq_len", int64_t(256));
  cases.push_back({"llama gqa", {Arch::Llama, llama}});
  llama.set("kv_heads", int64_t(0));
  llama.set("qkv_bias", true);
  llama.set("tied_head", true);
  cases.push_back({"llama mha, biases, tied", {Arch::Llama, llama}});
  Config gpt = default_config(Arch::Gpt);
  gpt.set("seq_len", int64_t(256));
  cases.push_back({"gpt", {Arch::Gpt, gpt}});
  gpt.set("gelu_tanh", true);
  gpt.set("tied_head", false);
  cases.push_back({"gpt untied, tanh", {Arch::Gpt, gpt}});
  gpt.set("dropout", 0.1);
  cases.push_back({"gpt dropout", {Arch::Gpt, gpt}});
  Config vit = default_config(Arch::Vit);
  cases.push_back({"vit", {Arch::Vit, vit}});
  vit.set("dropout", 0.1);
  cases.push_back({"vit dropout", {Arch::Vit, vit}});
  for (const auto& [name, ac] : cases) {
    const auto& [arch, c] = ac;
    INFO(name);
    const double measured = kept_per_sample(arch, c, 4, 12), estimated = model_cost(arch, c)->activation_bytes;
    INFO("measured " << measured << " bytes per sample, model_cost " << estimated);
    CHECK(estimated / measured == Approx(1.0).epsilon(0.01));
  }
}

TEST_CASE("model_cost: under LoRA, activation bytes per sample are what the forward pass keeps (gpt, llama)") {
  torch::set_num_threads(1);
  struct Case {
    std::string name;
    Arch arch;
    Config config;
    FinetuneSpec ft;
  };
  auto lora = [](Arch a, std::vector<std::string> targets, double dropout, bool embeddings) {
    FinetuneSpec f;
    f.method = FinetuneMethod::Lora;
    f.lora.rank = 8;
    f.lora.targets = std::move(targets);
    f.lora.dropout = dropout;
    f.lora.train_embeddings = embeddings;
    return with_default_targets(f, a);
  };
  Config llama = default_config(Arch::Llama);
  llama.set("kv_heads", int64_t(2));
  llama.set("seq_len", int64_t(256));
  Config gpt = default_config(Arch::Gpt);
  gpt.set("seq_len", int64_t(256));
  Config gpt_untied = gpt;
  gpt_untied.set("tied_head", false);
  Config gpt_dropout = gpt;
  gpt_dropout.set("dropout", 0.1);
  std::vector<Case> cases = {
      {"llama, every projection", Arch::Llama, llama, lora(Arch::Llama, {}, 0, false)},
      {"llama, q and v, dropout", Arch::Llama, llama, lora(Arch::Llama, {"q_proj", "v_proj"}, 0.1, false)},
      {"llama, up and down, embeddings", Arch::Llama, llama, lora(Arch::Llama, {"up_proj", "down_proj"}, 0, true)},
      {"gpt, every projection", Arch::Gpt, gpt, lora(Arch::Gpt, {}, 0, false)},
      {"gpt tied, c_attn, embeddings", Arch::Gpt, gpt, lora(Arch::Gpt, {"c_attn"}, 0, true)},
      {"gpt untied, c_fc, dropout", Arch::Gpt, gpt_untied, lora(Arch::Gpt, {"c_fc"}, 0.1, false)},
      {"gpt with dropout, c_proj", Arch::Gpt, gpt_dropout, lora(Arch::Gpt, {"c_proj"}, 0, false)},
      {"gpt with dropout, every projection, embeddings", Arch::Gpt, gpt_dropout, lora(Arch::Gpt, {}, 0, true)},
  };
  for (const auto& k : cases) {
    INFO(k.name);
    const double measured = kept_per_sample(k.arch, k.config, 4, 12, k.ft);
    const double estimated = model_cost(k.arch, k.config, k.ft)->activation_bytes;
    INFO("measured " << measured << " bytes per sample, model_cost " << estimated);
    CHECK(estimated / measured == Approx(1.0).epsilon(0.01));
  }
}
