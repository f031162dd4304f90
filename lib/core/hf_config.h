// A Hugging Face model folder's config.json as a saturn architecture and
// config: model_type gpt2 is arch gpt (positions = n_positions, the tanh
// GELU of gelu_new, layer_norm_epsilon, one dropout rate, a tied head);
// model_type llama, mistral and qwen2 are arch llama (Qwen2 with
// q/k/v biases); both rope spellings are read (top-level rope_theta and
// rope_scaling, or rope_parameters), with rope types default, linear and
// llama3. seq_len is max_position_embeddings, or Mistral's sliding window
// when shorter (a workload may narrow it).
// What saturn cannot train as written (another model_type, another
// activation, an output-projection bias, a sliding window shorter than the
// context) is one Data error naming the file and the key. Reads no weights.
#pragma once

#include <string>
#include <vector>

#include "core/arch.h"
#include "core/value.h"

namespace saturn {

struct HfModel {
  Arch arch = Arch::Llama;
  Config config;            // every key of the arch (defaults where the file is silent)
  std::string model_type;   // as written: "gpt2", "llama", "mistral", "qwen2"
};

// Reads DIR/config.json. Throws saturn::Error: NoInput when it is missing,
// Data when it is not JSON or not a supported model.
HfModel read_hf_config(const std::string& dir);

// The same from the text of a config.json; `where` names it in errors.
HfModel parse_hf_config(const std::string& text, const std::string& where);

// The weight files of a model folder: DIR/model.safetensors, or the shards
// model.safetensors.index.json names (each once, in its order). NoInput when
// there are none or a shard is missing; Data when the index is malformed.
std::vector<std::string> hf_weight_files(const std::string& dir);

}  // namespace saturn
