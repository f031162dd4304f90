// Decoding with a key/value cache: what the causal language models' parts
// implement besides forward (models/llama.cpp, models/gpt.cpp,
// models/transformer.cpp), so generation (train/generate/) runs a block
// model over new tokens only. A part that is not Decodes or EmbedsAt (a
// head) is applied with its forward.
#pragma once

#include <torch/torch.h>

namespace saturn::train {

// One block's keys and values of every token so far, [batch, kv heads,
// tokens, head dim]; undefined before the first step.
struct KvCache {
  torch::Tensor k, v;
};

// The new tokens of one decoding step.
struct DecodeInput {
  torch::Tensor positions;  // [batch, t] long: each new token's position
  torch::Tensor attend;     // [batch, 1, t, cached + t] bool: which keys each new token attends (never none)
};

// A block over t new tokens: x [batch, t, width] -> [batch, t, width]; their
// keys and values appended to `cache`.
class Decodes {
 public:
  virtual ~Decodes() = default;
  virtual torch::Tensor decode(const torch::Tensor& x, const DecodeInput& in, KvCache& cache) = 0;
};

// An embedding that reads positions (GPT-2's learned ones): ids [batch, t]
// at `positions` [batch, t] -> [batch, t, width].
class EmbedsAt {
 public:
  virtual ~EmbedsAt() = default;
  virtual torch::Tensor embed_at(const torch::Tensor& ids, const torch::Tensor& positions) = 0;
};

// Scaled dot-product attention of q [b, h, t, d] over the cache's keys and
// values (k, v [b, kv, T, d], each kv head serving h / kv query heads),
// masked by `attend` [b, 1, t, T].
torch::Tensor attend_cached(const torch::Tensor& q, const KvCache& cache, const torch::Tensor& attend);

// Appends k, v [b, kv, t, d] to `cache`.
void append_kv(KvCache& cache, const torch::Tensor& k, const torch::Tensor& v);

}  // namespace saturn::train
