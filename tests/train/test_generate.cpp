// Generation (train/generate/): greedy ids against transformers'
// generate(do_sample=False) for every family, with and without PEFT LoRA
// adapters, one prompt and a left-padded batch; cached and uncached
// decoding equal; stop ids; seeded sampling reproducible.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <fstream>

#include "core/error.h"
#include "reference_files.h"
#include "source_dir.h"
#include "train/generate/generate.h"
#include "train/generate/model_source.h"
#include "train/models/build.h"

using namespace saturn;
using saturn::test::Folder;
using saturn::test::test_python;

namespace {

const std::vector<std::vector<int64_t>> kSingle = {{5, 17, 33, 2, 60, 11}};
const std::vector<std::vector<int64_t>> kBatch = {{7, 8, 9}, {40, 41, 42, 43, 44, 45, 46}, {3, 90, 12, 30, 31}};

std::vector<std::vector<int64_t>> greedy(train::BlockModel& m, const std::vector<std::vector<int64_t>>& prompts, bool cache) {
  train::GenerateOptions o;
  o.max_new_tokens = 10;
  o.pad = 0;
  o.cache = cache;
  return train::generate(m, prompts, o);
}

}  // namespace

TEST_CASE("generate: greedy ids equal transformers' generate(do_sample=False), with and without LoRA, one prompt and a "
          "left-padded batch, cached or not (gpt2, llama with GQA, llama3 rope, mistral, qwen2)", "[hf]") {
  torch::set_num_threads(1);
  for (const char* family : {"gpt2", "llama-gqa", "llama3-rope", "mistral", "qwen2"}) {
    INFO(family);
    Folder d(family, 0);
    const std::string cmd = test_python() + " '" + source_dir() + "/tests/train/hf/generate_reference.py' '" +
                            d.path.string() + "' '" + (d.path / "gen.json").string() + "' '" +
                            (d.path / "adapter").string() + "' >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    const auto ref = nlohmann::json::parse(std::ifstream(d.path / "gen.json"));
    train::LoadedModel plain = train::load_model_folder(d.path.string());
    CHECK(greedy(plain.model, kSingle, true)[0] == ref["single"].get<std::vector<int64_t>>());
    CHECK(greedy(plain.model, kBatch, true) == ref["batch"].get<std::vector<std::vector<int64_t>>>());
    CHECK(greedy(plain.model, kBatch, false) == ref["batch"].get<std::vector<std::vector<int64_t>>>());
    // The adapter folder on its base_model_name_or_path (the folder).
    train::LoadedModel lora = train::load_model_folder((d.path / "adapter").string());
    CHECK(greedy(lora.model, kSingle, true)[0] == ref["lora_single"].get<std::vector<int64_t>>());
    CHECK(greedy(lora.model, kBatch, true) == ref["lora_batch"].get<std::vector<std::vector<int64_t>>>());
    CHECK(greedy(lora.model, kBatch, false) == ref["lora_batch"].get<std::vector<std::vector<int64_t>>>());
  }
}

TEST_CASE("generate: a stop id ends its row (kept last); seeded sampling repeats; top-p keeps the likeliest; positions cap "
          "GPT-2") {
  torch::set_num_threads(1);
  torch::manual_seed(0);
  Config c = default_config(Arch::Llama);
  c.set("vocab", int64_t(96));
  c.set("width", int64_t(32));
  c.set("layers", int64_t(2));
  c.set("heads", int64_t(4));
  c.set("kv_heads", int64_t(2));
  train::BlockModel m = train::build_model(Arch::Llama, c, "");
  {
    torch::NoGradGuard g;
    for (auto& p : m->parameters()) p.add_(torch::randn_like(p) * 0.5);
  }
  train::GenerateOptions o;
  o.max_new_tokens = 12;
  const auto free = train::generate(m, kBatch, o);
  REQUIRE(free[1].size() == 12);
  o.stop = {free[1][4]};  // row 1 ends at its 5th id, or earlier where that id came before
  const auto stopped = train::generate(m, kBatch, o);
  for (size_t r = 0; r < kBatch.size(); ++r) {
    const auto at = std::find(free[r].begin(), free[r].end(), o.stop[0]);
    const std::vector<int64_t> want(free[r].begin(), at == free[r].end() ? free[r].end() : at + 1);
    CHECK(stopped[r] == want);
  }
  o.stop.clear();
  o.temperature = 1.0;
  o.seed = 7;
  const auto a = train::generate(m, kBatch, o), b = train::generate(m, kBatch, o);
  CHECK(a == b);
  o.seed = 8;
  CHECK(train::generate(m, kBatch, o) != a);
  o.top_p = 1e-6;  // only the most likely id survives: greedy
  o.seed = 9;
  CHECK(train::generate(m, kBatch, o) == free);
  // Calls back each id as it is chosen, in order per row.
  std::vector<std::vector<int64_t>> seen(kBatch.size());
  train::GenerateOptions g;
  g.max_new_tokens = 5;
  const auto five = train::generate(m, kBatch, g, [&](size_t i, int64_t id) { seen[i].push_back(id); });
  CHECK(seen == five);
  CHECK_THROWS_WITH(train::generate(m, {{}}, g), "a prompt of no tokens: nothing to continue");

  Config gc = default_config(Arch::Gpt);
  gc.set("vocab", int64_t(64));
  gc.set("seq_len", int64_t(8));
  train::BlockModel gpt = train::build_model(Arch::Gpt, gc, "");
  g.max_new_tokens = 20;
  g.max_positions = 8;
  CHECK(train::generate(gpt, {{1, 2, 3}}, g)[0].size() == 5);
}
