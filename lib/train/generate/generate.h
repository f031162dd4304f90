// Text generation with a block model of a causal language model (gpt,
// llama): the prompts as one left-padded batch (transformers' rule: a
// padded row's positions count from its first real token, pads never
// attended), one forward over the prompts, then one token per step with a
// key/value cache (models/decode.h); greedy (the highest logit, the first
// of ties) or sampled (temperature, then top-p, from a seeded generator).
// A row ends at its first stop id (kept) or after max_new_tokens. In
// evaluation mode, without gradients. LoRA adapters apply as in training.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "train/models/block_model.h"

namespace saturn::train {

struct GenerateOptions {
  int64_t max_new_tokens = 64;
  double temperature = 0;       // 0: greedy; else logits / temperature are sampled
  double top_p = 1;             // sampling: the fewest most likely ids whose probabilities reach top_p
  uint64_t seed = 0;            // sampling's generator
  std::vector<int64_t> stop;    // ids that end a row (end of sequence, end of turn)
  int64_t pad = 0;              // the id left padding holds (never attended)
  int64_t max_positions = 0;    // > 0: no row grows past this many positions (GPT-2's table)
  bool cache = true;            // false: each step runs the whole sequence again (the same ids; for tests)
};

// Each prompt's new ids (prompts: non-empty lists of ids). `on_token(i, id)`
// is called for each id of prompt i as it is chosen. Throws saturn::Error
// (Usage) for an empty prompt, (Data) for a model whose blocks cannot decode.
std::vector<std::vector<int64_t>> generate(BlockModel& model, const std::vector<std::vector<int64_t>>& prompts,
                                           const GenerateOptions& o,
                                           const std::function<void(size_t, int64_t)>& on_token = nullptr);

}  // namespace saturn::train
