#include "train/generate/model_source.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/finetune.h"
#include "core/hf_config.h"
#include "core/safetensors.h"
#include "train/data/dataset.h"
#include "train/models/build.h"
#include "train/models/hf_weights.h"
#include "train/models/lora.h"

namespace saturn::train {
namespace fs = std::filesystem;
using json = nlohmann::json;
namespace {

LoadedModel full_folder(const std::string& dir) {
  const HfModel m = read_hf_config(dir);
  LoadedModel r;
  r.arch = m.arch;
  r.config = m.config;
  r.model = build_model(m.arch, m.config, "", /*init=*/false);
  load_pretrained(m.arch, r.model, dir);
  r.tokenizer_dir = dir;
  r.generation_dir = dir;
  return r;
}

// PEFT's adapter_config.json as a LoRA spec saturn trains the same way.
FinetuneSpec adapter_spec(const json& c, const std::string& where) {
  auto bad = [&](const std::string& what) { return data_error(where + ": " + what); };
  if (c.value("peft_type", "") != "LORA") throw bad("peft_type: saturn runs LORA adapters, got " + c.value("peft_type", std::string("none")));
  if (c.value("use_rslora", false)) throw bad("use_rslora: rsLoRA's scaling is not saturn's (alpha / rank)");
  if (c.value("use_dora", false)) throw bad("use_dora: DoRA adapters are not supported");
  FinetuneSpec f;
  f.method = FinetuneMethod::Lora;
  try {
    f.lora.rank = c.at("r").get<int64_t>();
    f.lora.alpha = c.at("lora_alpha").get<double>();
    f.lora.dropout = c.value("lora_dropout", 0.0);
    const json& t = c.at("target_modules");
    if (!t.is_array()) throw bad("target_modules: a pattern; saturn needs the list of module names");
    for (const auto& name : t) f.lora.targets.push_back(name.get<std::string>());
  } catch (const json::exception& e) {
    throw bad(std::string("not PEFT's LoRA configuration (") + e.what() + ")");
  }
  const json modules = c.value("modules_to_save", json());
  f.lora.train_embeddings = modules.is_array() && !modules.empty();
  return f;
}

LoadedModel adapter_folder(const std::string& dir, const std::string& base_given) {
  const std::string where = (fs::path(dir) / "adapter_config.json").string();
  const json c = json::parse(read_file(where), nullptr, false);
  if (!c.is_object()) throw data_error(where + ": not a JSON object");
  const std::string base = !base_given.empty() ? base_given : c.value("base_model_name_or_path", "");
  if (base.empty() || !fs::is_directory(base))
    throw no_input_error(where + ": base_model_name_or_path " + (base.empty() ? "is empty" : "\"" + base + "\" is not a folder here") +
                         ": give the base model's folder (--base DIR)");
  LoadedModel r = full_folder(base);
  const FinetuneSpec f = adapter_spec(c, where);
  apply_lora(r.arch, r.model, f);
  SafetensorsFile file((fs::path(dir) / "adapter_model.safetensors").string());
  torch::NoGradGuard g;
  for (auto& [name, p] : peft_parameters(r.arch, r.model)) {
    const StTensor* t = file.find(name);
    if (!t) throw data_error(file.path() + ": no tensor " + name + " (the adapter_config.json's targets need it)");
    if (t->shape != p.sizes().vec()) throw data_error(file.path() + ": " + name + " has another shape than r and the model give");
    auto in = torch::empty(t->shape, torch::kFloat);
    file.read_f32(*t, in.data_ptr<float>());
    p.copy_(in);
  }
  if (f.lora.train_embeddings)
    for (auto& [name, p] : hf_parameters(r.arch, r.model))
      if (const StTensor* t = file.find("base_model.model." + name); t && t->shape == p.sizes().vec()) {
        auto in = torch::empty(t->shape, torch::kFloat);
        file.read_f32(*t, in.data_ptr<float>());
        p.copy_(in);
      }
  if (fs::is_regular_file(fs::path(dir) / "tokenizer.json")) r.tokenizer_dir = dir;
  return r;
}

}  // namespace

LoadedModel load_model_folder(const std::string& dir, const std::string& base) {
  if (!fs::is_directory(dir)) throw no_input_error(dir + ": no such folder (a model or adapter folder)");
  if (fs::is_regular_file(fs::path(dir) / "adapter_config.json")) return adapter_folder(dir, base);
  if (!fs::is_regular_file(fs::path(dir) / "config.json"))
    throw no_input_error(dir + ": neither a model folder (config.json) nor an adapter folder (adapter_config.json)");
  return full_folder(dir);
}

}  // namespace saturn::train
