#include "arch.h"

#include <algorithm>

namespace saturn {

const char* arch_name(Arch a) {
  switch (a) {
    case Arch::Gpt: return "gpt";
    case Arch::Mlp: return "mlp";
    case Arch::Vit: return "vit";
    case Arch::Resnet: return "resnet";
    case Arch::Torchscript: return "torchscript";
    case Arch::Llama: return "llama";
  }
  return "?";
}

std::optional<std::string> arch_refuses(Arch a, Technique t) {
  if (t == Technique::Fused && a != Arch::Gpt && a != Arch::Mlp && a != Arch::Vit && a != Arch::Llama)
    return std::string(arch_name(a)) + " models cannot be fused (gpt, llama, mlp and vit can)";
  if (t == Technique::Pipeline && a == Arch::Torchscript)
    return std::string("a torchscript module is one block: it cannot be cut into pipeline stages");
  return std::nullopt;
}

std::vector<std::string> arch_names() { return {"gpt", "mlp", "vit", "resnet", "torchscript", "llama"}; }

Modality arch_modality(Arch a) {
  if (a == Arch::Torchscript) return Modality::Any;
  return a == Arch::Gpt || a == Arch::Llama ? Modality::Tokens : Modality::Images;
}

namespace {

constexpr double kMaxDim = 1 << 20;

ConfigKey I(const char* key, int64_t def, double min, double max, const char* doc) {
  return {key, ValueType::Integer, Value(def), min, max, doc};
}
ConfigKey R(const char* key, double def, double min, double max, const char* doc) {
  return {key, ValueType::Real, Value(def), min, max, doc};
}
ConfigKey F(const char* key, bool def, const char* doc) {
  return {key, ValueType::Flag, Value(def), 0, 1, doc};
}

const std::vector<ConfigKey> kGpt = {
    I("layers", 2, 1, 1024, "transformer blocks"),
    I("width", 128, 1, kMaxDim, "model width (d_model)"),
    I("heads", 4, 1, 1024, "attention heads; must divide width"),
    I("seq_len", 128, 1, kMaxDim, "tokens per sequence (context length)"),
    I("vocab", 256, 2, 1 << 24, "vocabulary size (256 = bytes of the text)"),
    I("mlp_ratio", 4, 1, 64, "hidden width of the MLP as a multiple of width"),
    R("dropout", 0.0, 0, 0.99, "dropout probability"),
    F("tied_head", true, "output head shares the token embedding"),
    F("bias", true, "linear and layer-norm biases"),
    I("positions", 0, 0, kMaxDim, "learned position rows; 0 = seq_len, else at least seq_len (GPT-2's n_positions)"),
    R("ln_eps", 1e-5, 0, 1, "LayerNorm epsilon (layer_norm_epsilon)"),
    F("gelu_tanh", false, "GELU's tanh approximation, as GPT-2's gelu_new"),
};

// Hugging Face's LlamaConfig names in parentheses; models[].from reads them.
const std::vector<ConfigKey> kLlama = {
    I("layers", 2, 1, 1024, "decoder layers (num_hidden_layers)"),
    I("width", 128, 1, kMaxDim, "model width (hidden_size)"),
    I("heads", 4, 1, 1024, "attention heads (num_attention_heads)"),
    I("kv_heads", 0, 0, 1024, "key/value heads for grouped-query attention; 0 = heads (num_key_value_heads)"),
    I("head_dim", 0, 0, kMaxDim, "width of one head; 0 = width / heads"),
    I("intermediate", 0, 0, kMaxDim, "SwiGLU hidden width; 0 = 8/3 width rounded up to 256 (intermediate_size)"),
    I("seq_len", 128, 1, kMaxDim, "tokens per sequence (context length)"),
    I("vocab", 256, 2, 1 << 24, "vocabulary size (vocab_size)"),
    R("rms_eps", 1e-6, 0, 1, "RMSNorm epsilon (rms_norm_eps)"),
    R("rope_theta", 10000.0, 1, 1e12, "rotary base (rope_theta)"),
    R("rope_factor", 1.0, 1, 1024, "rotary position scaling factor; 1 = none (rope_scaling.factor)"),
    F("rope_llama3", false, "llama3 frequency-dependent scaling instead of linear (rope_type llama3)"),
    R("rope_low_freq", 1.0, 0.01, 1e6, "llama3 scaling: low_freq_factor"),
    R("rope_high_freq", 4.0, 0.01, 1e6, "llama3 scaling: high_freq_factor"),
    I("rope_original_len", 8192, 1, kMaxDim, "llama3 scaling: original_max_position_embeddings"),
    F("qkv_bias", false, "biases on the q, k and v projections (Qwen2)"),
    F("tied_head", false, "output head shares the token embedding (tie_word_embeddings)"),
    I("sliding_window", 0, 0, kMaxDim, "Mistral's attention window; 0 = none; seq_len may not exceed it"),
};

const std::vector<ConfigKey> kMlp = {
    I("image", 28, 1, 4096, "image side in pixels (input is image*image*channels)"),
    I("channels", 1, 1, 64, "image channels"),
    I("hidden", 256, 1, kMaxDim, "hidden width"),
    I("layers", 2, 1, 1024, "hidden layers"),
    I("classes", 10, 2, 1 << 20, "output classes"),
    R("dropout", 0.0, 0, 0.99, "dropout probability"),
};

const std::vector<ConfigKey> kVit = {
    I("image", 32, 1, 4096, "image side in pixels"),
    I("patch", 4, 1, 4096, "patch side in pixels; must divide image"),
    I("channels", 3, 1, 64, "image channels"),
    I("layers", 4, 1, 1024, "transformer blocks"),
    I("width", 128, 1, kMaxDim, "model width"),
    I("heads", 4, 1, 1024, "attention heads; must divide width"),
    I("mlp_ratio", 4, 1, 64, "hidden width of the MLP as a multiple of width"),
    I("classes", 10, 2, 1 << 20, "output classes"),
    R("dropout", 0.0, 0, 0.99, "dropout probability"),
};

const std::vector<ConfigKey> kResnet = {
    I("depth", 50, 18, 200, "18, 34, 50, 101, 152 or 200"),
    I("width", 64, 1, 4096, "channels of the first stage"),
    I("image", 224, 8, 4096, "image side in pixels"),
    I("channels", 3, 1, 64, "image channels"),
    I("classes", 1000, 2, 1 << 20, "output classes"),
};

// A TorchScript module's inputs follow the data: token windows of seq_len, or
// images of image x image x channels.
const std::vector<ConfigKey> kTorchscript = {
    I("seq_len", 128, 1, kMaxDim, "tokens per sequence, for token data"),
    I("image", 32, 1, 4096, "image side in pixels, for image data"),
    I("channels", 3, 1, 64, "image channels, for image data"),
};

const std::vector<ConfigKey> kNone = {};

}  // namespace

const std::vector<ConfigKey>& arch_config_keys(Arch a) {
  switch (a) {
    case Arch::Gpt: return kGpt;
    case Arch::Mlp: return kMlp;
    case Arch::Vit: return kVit;
    case Arch::Resnet: return kResnet;
    case Arch::Torchscript: return kTorchscript;
    case Arch::Llama: return kLlama;
  }
  return kNone;
}

const ConfigKey* find_config_key(Arch a, const std::string& key) {
  for (const auto& k : arch_config_keys(a))
    if (k.key == key) return &k;
  return nullptr;
}

Config default_config(Arch a) {
  Config c;
  for (const auto& k : arch_config_keys(a)) c.set(k.key, k.default_value);
  return c;
}

static std::string multiple(const Config& c, const char* big, const char* small) {
  int64_t b = c.integer(big), s = c.integer(small);
  if (b % s == 0) return "";
  return std::string(big) + " (" + std::to_string(b) + ") must be a multiple of " + small + " (" +
         std::to_string(s) + ")";
}

std::string check_config(Arch a, const Config& c) {
  switch (a) {
    case Arch::Gpt: {
      const int64_t pos = c.integer("positions");
      if (pos > 0 && pos < c.integer("seq_len"))
        return "seq_len (" + std::to_string(c.integer("seq_len")) + ") is over positions (" + std::to_string(pos) +
               "): a token past the last learned position has none";
      return multiple(c, "width", "heads");
    }
    case Arch::Vit: {
      std::string r = multiple(c, "width", "heads");
      return r.empty() ? multiple(c, "image", "patch") : r;
    }
    case Arch::Resnet: {
      static const int64_t depths[] = {18, 34, 50, 101, 152, 200};
      int64_t d = c.integer("depth");
      if (std::find(std::begin(depths), std::end(depths), d) == std::end(depths))
        return "depth (" + std::to_string(d) + ") must be one of 18, 34, 50, 101, 152, 200";
      return "";
    }
    case Arch::Llama: {
      const int64_t heads = c.integer("heads"), kv = llama_kv_heads(c);
      if (c.integer("head_dim") == 0) {
        std::string r = multiple(c, "width", "heads");
        if (!r.empty()) return r + " (or set head_dim)";
      }
      if (heads % kv != 0)
        return "heads (" + std::to_string(heads) + ") must be a multiple of kv_heads (" + std::to_string(kv) + ")";
      if (llama_head_dim(c) % 2 != 0)
        return "the head width (" + std::to_string(llama_head_dim(c)) + ") must be even for rotary positions";
      const int64_t window = c.integer("sliding_window");
      if (window > 0 && c.integer("seq_len") > window)
        return "seq_len (" + std::to_string(c.integer("seq_len")) + ") is over sliding_window (" +
               std::to_string(window) + "): sliding-window attention is not built in; set seq_len to at most it";
      if (c.flag("rope_llama3") && c.number("rope_high_freq") <= c.number("rope_low_freq"))
        return "rope_high_freq must be above rope_low_freq";
      return "";
    }
    default: return "";
  }
}

int64_t llama_intermediate(const Config& c) {
  const int64_t i = c.integer("intermediate");
  if (i > 0) return i;
  const int64_t w = c.integer("width");
  return (8 * w / 3 + 255) / 256 * 256;
}

int64_t llama_head_dim(const Config& c) {
  const int64_t h = c.integer("head_dim");
  return h > 0 ? h : c.integer("width") / c.integer("heads");
}

int64_t llama_kv_heads(const Config& c) {
  const int64_t k = c.integer("kv_heads");
  return k > 0 ? k : c.integer("heads");
}

}  // namespace saturn
