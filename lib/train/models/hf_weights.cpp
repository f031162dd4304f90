#include "train/models/hf_weights.h"

#include <map>
#include <memory>
#include <cstring>
#include <set>

#include "core/error.h"
#include "core/hf_config.h"

namespace saturn::train {
namespace {

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// A block's own parameter name ("q_proj.weight") under Hugging Face's layer
// layout: attention projections in self_attn, the MLP's in mlp.
std::string llama_layer_name(int64_t layer, const std::string& local) {
  const std::string prefix = "model.layers." + std::to_string(layer) + ".";
  if (local.rfind("q_proj", 0) == 0 || local.rfind("k_proj", 0) == 0 || local.rfind("v_proj", 0) == 0 ||
      local.rfind("o_proj", 0) == 0)
    return prefix + "self_attn." + local;
  if (local.rfind("gate_proj", 0) == 0 || local.rfind("up_proj", 0) == 0 || local.rfind("down_proj", 0) == 0)
    return prefix + "mlp." + local;
  return prefix + local;  // input_layernorm.weight, post_attention_layernorm.weight
}

// GPT-2's names (GPT2LMHeadModel) for a gpt block's parameter; its Conv1D
// weights are stored [in, out], the transpose of a Linear's.
std::pair<std::string, bool> gpt2_name(size_t block, size_t blocks, const std::string& local) {
  if (block == 0) return {local == "tok.weight" ? "transformer.wte.weight" : "transformer.wpe.weight", false};
  if (block + 1 == blocks) return {local == "out.weight" ? "lm_head.weight" : "transformer.ln_f." + local.substr(3), false};
  static const std::map<std::string, std::string> parts = {{"ln1", "ln_1"},        {"ln2", "ln_2"},
                                                           {"qkv", "attn.c_attn"}, {"proj", "attn.c_proj"},
                                                           {"fc", "mlp.c_fc"},     {"fc_proj", "mlp.c_proj"}};
  const size_t dot = local.find('.');
  const std::string part = parts.at(local.substr(0, dot)), leaf = local.substr(dot + 1);
  const bool conv1d = leaf == "weight" && part.rfind("ln_", 0) != 0;
  return {"transformer.h." + std::to_string(block - 1) + "." + part + "." + leaf, conv1d};
}

bool is_adapter(const std::string& local) {
  auto ends = [&](const char* tail) {
    const size_t n = std::strlen(tail);
    return local.size() >= n && local.compare(local.size() - n, n, tail) == 0;
  };
  return ends(".lora_A") || ends(".lora_B");
}

// Every parameter of the model under its Hugging Face name, adapters
// ("q_proj.lora_A") or base weights.
std::map<std::string, torch::Tensor> named(Arch arch, BlockModel& model, bool adapters) {
  if (arch != Arch::Llama && arch != Arch::Gpt)
    throw Error(ErrorKind::Unavailable,
                std::string("arch ") + arch_name(arch) + ": no Hugging Face weight layout (gpt and llama have one)");
  std::map<std::string, torch::Tensor> out;
  const size_t blocks = model->size();
  for (size_t b = 0; b < blocks; ++b) {
    auto* module = model->block(b).ptr().get();
    for (const auto& p : module->named_parameters(/*recurse=*/true)) {
      const std::string& local = p.key();
      if (is_adapter(local) != adapters) continue;
      if (arch == Arch::Gpt) {
        auto [name, transposed] = gpt2_name(b, blocks, local);
        out[name] = transposed ? p.value().t() : p.value();
        continue;
      }
      std::string name;
      if (b == 0) name = "model." + local;                                      // embed_tokens.weight
      else if (b + 1 == blocks) name = local == "norm.weight" ? "model.norm.weight" : local;  // lm_head.weight
      else name = llama_layer_name(static_cast<int64_t>(b - 1), local);
      out[name] = p.value();
    }
  }
  return out;
}

}  // namespace

std::map<std::string, torch::Tensor> hf_parameters(Arch arch, BlockModel& model) { return named(arch, model, false); }

std::map<std::string, torch::Tensor> peft_parameters(Arch arch, BlockModel& model) {
  std::map<std::string, torch::Tensor> out;
  for (auto& [name, p] : named(arch, model, true)) out["base_model.model." + name + ".weight"] = p;
  return out;
}

namespace {

// Tensors a checkpoint may hold that are buffers, not parameters: rotary
// frequencies, GPT-2's causal masks (h.N.attn.bias, h.N.attn.masked_bias).
bool is_buffer(Arch arch, const std::string& name) {
  if (name.find("rotary_emb.inv_freq") != std::string::npos) return true;
  auto ends = [&](const std::string& tail) {
    return name.size() >= tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
  };
  return arch == Arch::Gpt && (ends(".attn.bias") || ends(".attn.masked_bias"));
}

}  // namespace

void load_hf_weights(Arch arch, BlockModel& model, const std::vector<const SafetensorsFile*>& files) {
  auto params = hf_parameters(arch, model);
  std::set<std::string> loaded;
  torch::NoGradGuard g;
  for (const SafetensorsFile* f : files)
    for (const StTensor& t : f->tensors()) {
      auto it = params.find(t.name);
      // GPT2Model checkpoints (openai-community/gpt2) name tensors without "transformer.".
      if (it == params.end() && arch == Arch::Gpt) it = params.find("transformer." + t.name);
      if (it == params.end()) {
        if (is_buffer(arch, t.name)) continue;
        throw data_error(f->path() + ": tensor \"" + t.name + "\" belongs to no parameter of this " + arch_name(arch) +
                         " config (another model?)");
      }
      torch::Tensor& p = it->second;
      if (t.shape != p.sizes().vec())
        throw data_error(f->path() + ": tensor \"" + t.name + "\" has shape " + shape_text(t.shape) +
                         "; the config needs " + shape_text(p.sizes().vec()));
      if (p.is_contiguous() && p.scalar_type() == torch::kFloat && p.device().is_cpu()) {
        float* dst = p.data_ptr<float>();  // straight into the parameter, in parallel ranges
        at::parallel_for(0, t.numel(), int64_t(1) << 20, [&](int64_t lo, int64_t hi) { f->read_f32(t, dst + lo, lo, hi - lo); });
      } else {  // a transposed view (GPT-2's Conv1D), another dtype or device
        auto host = torch::empty(p.sizes(), torch::kFloat);
        f->read_f32(t, host.data_ptr<float>());
        p.copy_(host);
      }
      f->drop(t);
      loaded.insert(it->first);
    }
  for (const auto& [name, p] : params)
    if (!loaded.count(name))
      throw data_error((files.empty() ? std::string("the model folder") : files.front()->path()) + ": tensor \"" + name +
                       "\" is missing (the config needs it)");
}

void load_pretrained(Arch arch, BlockModel& model, const std::string& dir) {
  std::vector<std::unique_ptr<SafetensorsFile>> owned;
  std::vector<const SafetensorsFile*> files;
  for (const auto& p : hf_weight_files(dir)) {
    owned.push_back(std::make_unique<SafetensorsFile>(p));
    files.push_back(owned.back().get());
  }
  load_hf_weights(arch, model, files);
}

}  // namespace saturn::train
