#include "core/hf_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace saturn {

namespace {

// Typed reads of config.json keys; errors name the file and the key.
struct Reader {
  const nlohmann::json& j;
  const std::string& where;

  Error fail(const std::string& key, const std::string& what) const { return data_error(where + ": " + key + ": " + what); }
  int64_t integer(const std::string& key, bool required, int64_t def = 0) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) throw fail(key, "missing");
      return def;
    }
    if (!it->is_number_integer()) throw fail(key, "expected an integer, got " + it->dump());
    return it->get<int64_t>();
  }
  double number(const nlohmann::json& o, const std::string& key, double def) const {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return def;
    if (!it->is_number()) throw fail(key, "expected a number, got " + it->dump());
    return it->get<double>();
  }
  double number(const std::string& key, double def) const { return number(j, key, def); }
  bool flag(const std::string& key, bool def) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return def;
    if (!it->is_boolean()) throw fail(key, "expected true or false, got " + it->dump());
    return it->get<bool>();
  }
  std::string text(const std::string& key, const std::string& def) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return def;
    if (!it->is_string()) throw fail(key, "expected a string, got " + it->dump());
    return it->get<std::string>();
  }
};

// GPT-2 (GPT2Config): learned positions, LayerNorm, GELU MLP, tied head.
Config gpt2_config(const Reader& r) {
  Config c = default_config(Arch::Gpt);
  c.set("layers", r.integer("n_layer", true));
  c.set("width", r.integer("n_embd", true));
  c.set("heads", r.integer("n_head", true));
  const int64_t positions = r.integer("n_positions", false, r.integer("n_ctx", false, 1024));
  c.set("positions", positions);
  c.set("seq_len", positions);
  c.set("vocab", r.integer("vocab_size", true));
  const int64_t width = c.integer("width"), inner = r.integer("n_inner", false, 4 * width);
  if (width <= 0 || inner % width != 0)
    throw r.fail("n_inner", std::to_string(inner) + " is not a multiple of n_embd (" + std::to_string(width) + ")");
  c.set("mlp_ratio", inner / width);
  const std::string act = r.text("activation_function", "gelu_new");
  if (act == "gelu_new" || act == "gelu_pytorch_tanh" || act == "gelu_fast") c.set("gelu_tanh", true);
  else if (act == "gelu") c.set("gelu_tanh", false);
  else throw r.fail("activation_function", "\"" + act + "\"; the gpt MLP is gelu or gelu_new");
  c.set("ln_eps", r.number("layer_norm_epsilon", 1e-5));
  // One dropout rate: saturn applies it to embeddings, attention and residuals.
  const double resid = r.number("resid_pdrop", 0.1);
  for (const char* key : {"embd_pdrop", "attn_pdrop"})
    if (r.number(key, 0.1) != resid)
      throw r.fail(key, value_text(Value(r.number(key, 0.1))) + " differs from resid_pdrop (" + value_text(Value(resid)) +
                            "); saturn uses one dropout rate");
  c.set("dropout", resid);
  c.set("tied_head", r.flag("tie_word_embeddings", true));
  c.set("bias", true);
  if (!r.flag("scale_attn_weights", true)) throw r.fail("scale_attn_weights", "false: attention is always scaled");
  for (const char* key : {"scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn", "add_cross_attention"})
    if (r.flag(key, false)) throw r.fail(key, "true: not built in");
  return c;
}

// Llama, Mistral, Qwen2.
Config llama_config(const Reader& r, const std::string& model_type) {
  const nlohmann::json& j = r.j;
  if (r.text("hidden_act", "silu") != "silu")
    throw r.fail("hidden_act", "\"" + r.text("hidden_act", "") + "\"; the llama MLP is silu");
  if (r.flag("attention_bias", false) && model_type == "llama")
    throw r.fail("attention_bias", "true: a bias on the output projection is not built in (q/k/v biases are, as Qwen2)");
  if (r.flag("mlp_bias", false)) throw r.fail("mlp_bias", "true: MLP biases are not built in");
  Config c = default_config(Arch::Llama);
  c.set("layers", r.integer("num_hidden_layers", true));
  c.set("width", r.integer("hidden_size", true));
  c.set("heads", r.integer("num_attention_heads", true));
  c.set("kv_heads", r.integer("num_key_value_heads", false, 0));
  const int64_t head_dim = r.integer("head_dim", false, 0);
  if (head_dim != c.integer("width") / c.integer("heads") || c.integer("width") % c.integer("heads") != 0)
    c.set("head_dim", head_dim);
  c.set("intermediate", r.integer("intermediate_size", true));
  c.set("vocab", r.integer("vocab_size", true));
  c.set("seq_len", r.integer("max_position_embeddings", true));
  c.set("rms_eps", r.number("rms_norm_eps", 1e-6));
  c.set("tied_head", r.flag("tie_word_embeddings", false));
  c.set("qkv_bias", model_type == "qwen2");
  const int64_t window = r.flag("use_sliding_window", model_type == "mistral") ? r.integer("sliding_window", false, 0) : 0;
  c.set("sliding_window", window);
  if (window > 0 && c.integer("seq_len") > window) c.set("seq_len", window);  // full attention up to the window
  // Rotary: rope_parameters (newer) or rope_theta + rope_scaling (older).
  nlohmann::json rope = nlohmann::json::object();
  if (auto p = j.find("rope_parameters"); p != j.end() && p->is_object()) rope = *p;
  else if (auto s = j.find("rope_scaling"); s != j.end() && s->is_object()) rope = *s;
  c.set("rope_theta", r.number(rope, "rope_theta", r.number("rope_theta", 10000.0)));
  const std::string type = rope.value("rope_type", rope.value("type", std::string("default")));
  if (type == "linear" || type == "llama3") {
    c.set("rope_factor", r.number(rope, "factor", 1.0));
    c.set("rope_llama3", type == "llama3");
    if (type == "llama3") {
      c.set("rope_low_freq", r.number(rope, "low_freq_factor", 1.0));
      c.set("rope_high_freq", r.number(rope, "high_freq_factor", 4.0));
      c.set("rope_original_len", static_cast<int64_t>(r.number(rope, "original_max_position_embeddings", 8192)));
    }
  } else if (type != "default") {
    throw r.fail("rope_type", "\"" + type + "\"; saturn computes default, linear and llama3 rotary positions");
  }
  return c;
}

}  // namespace

HfModel parse_hf_config(const std::string& text, const std::string& where) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) throw data_error(where + ": not a JSON object");
  const Reader r{j, where};
  HfModel m;
  m.model_type = r.text("model_type", "");
  if (m.model_type == "gpt2") {
    m.arch = Arch::Gpt;
    m.config = gpt2_config(r);
  } else if (m.model_type == "llama" || m.model_type == "mistral" || m.model_type == "qwen2") {
    m.arch = Arch::Llama;
    m.config = llama_config(r, m.model_type);
  } else {
    throw r.fail("model_type", (m.model_type.empty() ? std::string("missing") : "\"" + m.model_type + "\"") +
                                   "; saturn reads gpt2, llama, mistral and qwen2");
  }
  const Config& c = m.config;
  for (const auto& k : arch_config_keys(m.arch)) {
    const double v = value_number(*c.find(k.key));
    if (v < k.min || v > k.max)
      throw data_error(where + ": " + k.key + " = " + value_text(*c.find(k.key)) + " is outside what saturn builds (" +
                       value_text(Value(k.min)) + " .. " + value_text(Value(k.max)) + ")");
  }
  if (auto why = check_config(m.arch, c); !why.empty()) throw data_error(where + ": " + why);
  return m;
}

HfModel read_hf_config(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / "config.json").string();
  std::ifstream f(path);
  if (!f) throw no_input_error(path + ": no such file (a Hugging Face model folder has config.json)");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_hf_config(ss.str(), path);
}

std::vector<std::string> hf_weight_files(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path single = fs::path(dir) / "model.safetensors", index = fs::path(dir) / "model.safetensors.index.json";
  if (fs::exists(single)) return {single.string()};
  std::ifstream f(index);
  if (!f) throw no_input_error(dir + ": no model.safetensors and no model.safetensors.index.json");
  std::stringstream ss;
  ss << f.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  const std::string where = index.string();
  if (j.is_discarded() || !j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    throw data_error(where + ": not an index (a JSON object with a weight_map)");
  std::vector<std::string> files;
  for (const auto& item : j["weight_map"].items()) {
    if (!item.value().is_string()) throw data_error(where + ": weight_map \"" + item.key() + "\": expected a file name");
    const std::string name = item.value().get<std::string>();
    if (name.find('/') != std::string::npos || name == ".." || name.empty())
      throw data_error(where + ": weight_map \"" + item.key() + "\": " + name + " is not a file in the folder");
    const std::string path = (fs::path(dir) / name).string();
    if (std::find(files.begin(), files.end(), path) == files.end()) files.push_back(path);
  }
  for (const auto& p : files)
    if (!fs::exists(p)) throw no_input_error(p + ": missing (" + where + " lists it)");
  return files;
}

}  // namespace saturn
