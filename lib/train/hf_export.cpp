#include "train/hf_export.h"
#include "train/trained_model.h"

#include <unistd.h>

#include <cstring>
#include <functional>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file.h"
#include "core/run_files.h"
#include "core/safetensors.h"
#include "train/checkpoint.h"
#include "train/data/dataset.h"
#include "train/models/build.h"
#include "train/models/hf_weights.h"
#include "train/models/lora.h"
#include "train/models/dense.h"

namespace saturn::train {
namespace fs = std::filesystem;
using json = nlohmann::json;
namespace {

// config.json for a model saturn made itself.
json written_config(Arch arch, const Config& c) {
  if (arch == Arch::Gpt) {
    if (!c.flag("bias")) throw data_error("a gpt without biases (bias: false) has no GPT-2 form to export");
    const int64_t width = c.integer("width");
    return {{"model_type", "gpt2"},
            {"architectures", {"GPT2LMHeadModel"}},
            {"n_layer", c.integer("layers")},
            {"n_embd", width},
            {"n_head", c.integer("heads")},
            {"n_positions", c.integer("positions") > 0 ? c.integer("positions") : c.integer("seq_len")},
            {"n_inner", c.integer("mlp_ratio") * width},
            {"vocab_size", c.integer("vocab")},
            {"activation_function", c.flag("gelu_tanh") ? "gelu_new" : "gelu"},
            {"layer_norm_epsilon", c.number("ln_eps")},
            {"resid_pdrop", c.number("dropout")},
            {"embd_pdrop", c.number("dropout")},
            {"attn_pdrop", c.number("dropout")},
            {"tie_word_embeddings", c.flag("tied_head")}};
  }
  const bool qwen = c.flag("qkv_bias");
  json j = {{"model_type", qwen ? "qwen2" : "llama"},
            {"architectures", {qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM"}},
            {"num_hidden_layers", c.integer("layers")},
            {"hidden_size", c.integer("width")},
            {"num_attention_heads", c.integer("heads")},
            {"num_key_value_heads", llama_kv_heads(c)},
            {"head_dim", llama_head_dim(c)},
            {"intermediate_size", llama_intermediate(c)},
            {"max_position_embeddings", c.integer("seq_len")},
            {"vocab_size", c.integer("vocab")},
            {"rms_norm_eps", c.number("rms_eps")},
            {"rope_theta", c.number("rope_theta")},
            {"hidden_act", "silu"},
            {"tie_word_embeddings", c.flag("tied_head")}};
  if (!qwen) j["attention_bias"] = false;
  else j["use_sliding_window"] = false;
  if (c.number("rope_factor") != 1.0 || c.flag("rope_llama3")) {
    json r = {{"rope_type", c.flag("rope_llama3") ? "llama3" : "linear"}, {"factor", c.number("rope_factor")}};
    if (c.flag("rope_llama3")) {
      r["low_freq_factor"] = c.number("rope_low_freq");
      r["high_freq_factor"] = c.number("rope_high_freq");
      r["original_max_position_embeddings"] = c.integer("rope_original_len");
    }
    j["rope_scaling"] = r;
  }
  return j;
}

// PEFT's adapter_config.json for the job's adapters on `base`. A trained
// embedding is a module PEFT saves whole; a head tied to it is saved too
// (PEFT keeps a saved embedding's copy apart from the head it was tied to,
// which would otherwise keep the base's weight).
json adapter_config(Arch arch, const FinetuneSpec& f, bool tied_head, const std::string& base) {
  json modules = nullptr;
  if (f.lora.train_embeddings) {
    modules = json::array({arch == Arch::Gpt ? "wte" : "embed_tokens"});
    if (tied_head) modules.push_back("lm_head");
  }
  return {{"peft_type", "LORA"},
          {"task_type", "CAUSAL_LM"},
          {"base_model_name_or_path", base},
          {"r", f.lora.rank},
          {"lora_alpha", f.lora.alpha},
          {"lora_dropout", f.lora.dropout},
          {"target_modules", f.lora.targets},
          {"fan_in_fan_out", arch == Arch::Gpt},  // GPT-2's Conv1D weights are [in, out]
          {"bias", "none"},
          {"modules_to_save", modules},
          {"init_lora_weights", true},
          {"inference_mode", true},
          {"use_rslora", false},
          {"use_dora", false}};
}

// Folds every adapter into its weight: W += alpha / rank B A.
void merge_adapters(BlockModel& model, const FinetuneSpec& f) {
  torch::NoGradGuard g;
  const double scale = f.lora.alpha / static_cast<double>(f.lora.rank);
  for (const auto& item : model->named_modules("", false))
    if (auto* d = dynamic_cast<DenseImpl*>(item.value().get()); d && d->lora_A.defined())
      d->weight.add_(torch::matmul(d->lora_B, d->lora_A) * scale);
}

// Each tensor in `dtype` ("float32", "bfloat16", "float16"; `keep_float`
// names stay float32: adapters).
void write_tensors(const std::string& path, const std::map<std::string, torch::Tensor>& named, const std::string& dtype,
                   Exported* r, const std::function<bool(const std::string&)>& keep_float = nullptr) {
  std::vector<StWrite> tensors;
  for (const auto& [name, p] : named) {
    const bool f32 = dtype == "float32" || (keep_float && keep_float(name));
    const auto [type, st] = f32 ? std::pair{torch::kFloat, StDtype::F32}
                                : dtype == "bfloat16" ? std::pair{torch::kBFloat16, StDtype::BF16}
                                                      : std::pair{torch::kHalf, StDtype::F16};
    const torch::Tensor t = p.detach().to(type).contiguous();
    r->parameters += t.numel();
    tensors.push_back({name, st, t.sizes().vec(), [t](char* dst) {
                         std::memcpy(dst, t.data_ptr(), static_cast<size_t>(t.numel() * t.element_size()));
                       }});
  }
  write_safetensors(path, tensors, {{"format", "pt"}});
}

}  // namespace

std::string export_dtype(const std::string& asked, const std::string& base_config) {
  if (asked == "bf16") return "bfloat16";
  if (asked == "fp16") return "float16";
  if (asked == "fp32") return "float32";
  if (asked != "auto") throw usage_error("--dtype: expected auto, bf16, fp16 or fp32, got \"" + asked + "\"");
  const json c = json::parse(base_config.empty() ? "{}" : base_config, nullptr, false);
  if (c.is_object())
    for (const char* key : {"torch_dtype", "dtype"})
      if (auto it = c.find(key); it != c.end() && it->is_string())
        for (const char* known : {"bfloat16", "float16", "float32"})
          if (*it == known) return known;
  return "float32";
}

Exported export_hf(const ExportSource& s, const std::string& out) {
  std::error_code ec;
  if (fs::exists(out, ec) && !(fs::is_directory(out, ec) && fs::is_empty(out, ec)))
    throw usage_error(out + ": exists and is not an empty folder (export writes a new one)");
  const bool lora = s.finetune.lora_on();
  if (s.merge && !lora) throw usage_error("--merge: the job fine-tuned every weight (merge folds LoRA adapters in)");
  if (lora && !s.merge && s.from_dir.empty())
    throw data_error("the job's LoRA adapters have no base folder to load onto (the model has no from); export --merge "
                     "writes the whole model");
  Exported r;
  BlockModel model = load_trained(s, &r.step);
  const std::string base_text = s.from_dir.empty() ? "" : read_file((fs::path(s.from_dir) / "config.json").string());
  r.dtype = export_dtype(s.dtype, base_text);
  json config = s.from_dir.empty() ? written_config(s.arch, s.config) : json::parse(base_text, nullptr, false);
  if (!config.is_object()) throw data_error(s.from_dir + "/config.json: not a JSON object");
  config["torch_dtype"] = r.dtype;  // the weights written (transformers otherwise casts to the stated dtype)
  config["dtype"] = r.dtype;

  const fs::path parent = fs::absolute(out).parent_path();
  const fs::path tmp = parent / (fs::path(out).filename().string() + ".tmp-" + std::to_string(::getpid()));
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw no_input_error(tmp.string() + ": cannot create (" + ec.message() + ")");
  try {
    if (lora && !s.merge) {
      auto named = peft_parameters(s.arch, model);
      const bool tied = s.config.flag("tied_head");
      if (s.finetune.lora.train_embeddings)
        for (const auto& [name, p] : hf_parameters(s.arch, model))
          if (name == "model.embed_tokens.weight" || name == "transformer.wte.weight") {
            named["base_model.model." + name] = p;
            if (tied) named["base_model.model.lm_head.weight"] = p;
          }
      write_tensors((tmp / "adapter_model.safetensors").string(), named, r.dtype, &r,
                    [](const std::string& name) { return name.find(".lora_") != std::string::npos; });
      const std::string base = fs::absolute(s.from_dir).lexically_normal().string();
      write_file_atomic((tmp / "adapter_config.json").string(),
                        adapter_config(s.arch, s.finetune, tied, base).dump(2) + "\n");
      r.adapters = true;
    } else {
      if (lora) merge_adapters(model, s.finetune);
      write_tensors((tmp / "model.safetensors").string(), hf_parameters(s.arch, model), r.dtype, &r);
      write_file_atomic((tmp / "config.json").string(), config.dump(2) + "\n");
    }
    if (!s.tokenizer.empty()) {
      fs::copy_file(s.tokenizer, tmp / "tokenizer.json");
      for (const char* side : {"tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"}) {
        const fs::path p = fs::path(s.tokenizer).parent_path() / side;
        if (fs::is_regular_file(p, ec)) fs::copy_file(p, tmp / side);
      }
    }
    if (!r.adapters && !s.from_dir.empty() && fs::is_regular_file(fs::path(s.from_dir) / "generation_config.json", ec))
      fs::copy_file(fs::path(s.from_dir) / "generation_config.json", tmp / "generation_config.json");
    if (fs::exists(out, ec)) fs::remove(out);  // the empty folder
    fs::rename(tmp, out);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw no_input_error(out + ": cannot write (" + std::string(e.code().message()) + ")");
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  return r;
}

}  // namespace saturn::train
