// Arch: the model architectures saturn trains, and the schema of each one's
// config keys (type, default, bounds). The schema is what validation checks a
// model's `config` and the grid's config axes against, and what lib/train
// reads typed values by. Static tables; thread safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/technique.h"
#include "value.h"

namespace saturn {

// gpt: GPT-2; llama: Llama, Mistral and Qwen2 (RMSNorm, rotary positions,
// SwiGLU, grouped-query attention). Names are in this order (arch_names).
enum class Arch { Gpt, Mlp, Vit, Resnet, Torchscript, Llama };

const char* arch_name(Arch a);             // "gpt", "mlp", "vit", "resnet", "torchscript", "llama"
std::vector<std::string> arch_names();

// What a model consumes: token sequences, images (with labels), or whatever
// the data is (a TorchScript module).
enum class Modality { Tokens, Images, Any };
Modality arch_modality(Arch a);

// Why the engine cannot train a model of this arch with technique t (one
// phrase), or nullopt when it can. A TorchScript module is one opaque block:
// no pipeline stages, no fusion; only gpt, llama, mlp and vit are fused. The
// profiler runs no such trial, the planner gets no such option, and the
// worker refuses it with this text.
std::optional<std::string> arch_refuses(Arch a, Technique t);

enum class ValueType { Integer, Real, Flag };

struct ConfigKey {
  std::string key;
  ValueType type;
  Value default_value;
  double min;           // inclusive bounds for numbers
  double max;
  const char* doc;      // one line, for the man page and errors
};

// The config keys of an architecture in canonical order.
const std::vector<ConfigKey>& arch_config_keys(Arch a);
const ConfigKey* find_config_key(Arch a, const std::string& key);

// A config with every key of the architecture at its default.
Config default_config(Arch a);

// Checks relations between keys (width divisible by heads, ...); returns ""
// when the config is consistent, else what is wrong, e.g.
// "width (100) must be a multiple of heads (3)".
std::string check_config(Arch a, const Config& c);

// llama: the MLP's hidden width (`intermediate`, or when 0 the Llama rule:
// 8/3 width rounded up to a multiple of 256), the head width (`head_dim`,
// or width / heads) and the key/value heads (`kv_heads`, or heads).
int64_t llama_intermediate(const Config& c);
int64_t llama_head_dim(const Config& c);
int64_t llama_kv_heads(const Config& c);

}  // namespace saturn
