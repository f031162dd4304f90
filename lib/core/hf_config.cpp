#include "core/hf_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace saturn {

HfModel parse_hf_config(const std::string& text, const std::string& where) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) throw data_error(where + ": not a JSON object");
  auto fail = [&](const std::string& key, const std::string& what) { return data_error(where + ": " + key + ": " + what); };
  auto integer = [&](const std::string& key, bool required, int64_t def = 0) -> int64_t {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) throw fail(key, "missing");
      return def;
    }
    if (!it->is_number_integer()) throw fail(key, "expected an integer, got " + it->dump());
    return it->get<int64_t>();
  };
  auto number = [&](const nlohmann::json& o, const std::string& key, double def) -> double {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return def;
    if (!it->is_number()) throw fail(key, "expected a number, got " + it->dump());
    return it->get<double>();
  };
  auto flag = [&](const std::string& key, bool def) -> bool {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return def;
    if (!it->is_boolean()) throw fail(key, "expected true or false, got " + it->dump());
    return it->get<bool>();
  };
  HfModel m;
  m.model_type = j.value("model_type", std::string());
  if (m.model_type != "llama" && m.model_type != "mistral" && m.model_type != "qwen2")
    throw fail("model_type", (m.model_type.empty() ? std::string("missing") : "\"" + m.model_type + "\"") +
                                 "; saturn reads llama, mistral and qwen2");
  if (j.value("hidden_act", std::string("silu")) != "silu")
    throw fail("hidden_act", "\"" + j.value("hidden_act", std::string()) + "\"; the llama MLP is silu");
  if (flag("attention_bias", false) && m.model_type == "llama")
    throw fail("attention_bias", "true: a bias on the output projection is not built in (q/k/v biases are, as Qwen2)");
  if (flag("mlp_bias", false)) throw fail("mlp_bias", "true: MLP biases are not built in");
  Config& c = m.config = default_config(Arch::Llama);
  c.set("layers", integer("num_hidden_layers", true));
  c.set("width", integer("hidden_size", true));
  c.set("heads", integer("num_attention_heads", true));
  c.set("kv_heads", integer("num_key_value_heads", false, 0));
  const int64_t head_dim = integer("head_dim", false, 0);
  if (head_dim != c.integer("width") / c.integer("heads") || c.integer("width") % c.integer("heads") != 0)
    c.set("head_dim", head_dim);
  c.set("intermediate", integer("intermediate_size", true));
  c.set("vocab", integer("vocab_size", true));
  c.set("seq_len", integer("max_position_embeddings", true));
  c.set("rms_eps", number(j, "rms_norm_eps", 1e-6));
  c.set("tied_head", flag("tie_word_embeddings", false));
  c.set("qkv_bias", m.model_type == "qwen2");
  const int64_t window = flag("use_sliding_window", m.model_type == "mistral") ? integer("sliding_window", false, 0) : 0;
  c.set("sliding_window", window);
  if (window > 0 && c.integer("seq_len") > window) c.set("seq_len", window);  // full attention up to the window
  // Rotary: rope_parameters (newer) or rope_theta + rope_scaling (older).
  nlohmann::json rope = nlohmann::json::object();
  if (auto p = j.find("rope_parameters"); p != j.end() && p->is_object()) rope = *p;
  else if (auto s = j.find("rope_scaling"); s != j.end() && s->is_object()) rope = *s;
  c.set("rope_theta", number(rope, "rope_theta", number(j, "rope_theta", 10000.0)));
  const std::string type = rope.value("rope_type", rope.value("type", std::string("default")));
  if (type == "linear" || type == "llama3") {
    c.set("rope_factor", number(rope, "factor", 1.0));
    c.set("rope_llama3", type == "llama3");
    if (type == "llama3") {
      c.set("rope_low_freq", number(rope, "low_freq_factor", 1.0));
      c.set("rope_high_freq", number(rope, "high_freq_factor", 4.0));
      c.set("rope_original_len", static_cast<int64_t>(number(rope, "original_max_position_embeddings", 8192)));
    }
  } else if (type != "default") {
    throw fail("rope_type", "\"" + type + "\"; saturn computes default, linear and llama3 rotary positions");
  }
  for (const auto& k : arch_config_keys(Arch::Llama)) {
    const double v = value_number(*c.find(k.key));
    if (v < k.min || v > k.max)
      throw data_error(where + ": " + k.key + " = " + value_text(*c.find(k.key)) + " is outside what saturn builds (" +
                       value_text(Value(k.min)) + " .. " + value_text(Value(k.max)) + ")");
  }
  if (auto why = check_config(Arch::Llama, c); !why.empty()) throw data_error(where + ": " + why);
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
