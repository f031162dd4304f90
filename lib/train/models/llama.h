// llama: the decoder of Llama, Mistral and Qwen2 as Hugging Face's
// transformers computes it, as a BlockModel [embed, block x layers, head]:
// RMSNorm before attention and MLP (in float32, then the weight), rotary
// positions in the split-half convention (inv_freq from rope_theta, scaled
// linearly or by the llama3 rule), grouped-query attention (each key/value
// head serving heads / kv_heads query heads), a SwiGLU MLP (down(silu(gate)
// * up)), optional q/k/v biases (Qwen2), a final RMSNorm and a head tied to
// the embedding or not. Submodules carry Hugging Face's names
// (q_proj, ..., input_layernorm, embed_tokens, norm, lm_head), so weights
// map one to one. Input token ids [batch, tokens]; logits [batch, tokens, vocab].
#pragma once

#include <torch/torch.h>

#include "core/value.h"
#include "train/models/block_model.h"

namespace saturn::train {

// Builds from a validated llama config (arch.h). Linear and embedding
// weights ~ N(0, 0.02), norms 1, biases 0 (Hugging Face's initialisation);
// without `init` the weights are left for a load (dense.h; norms are 1).
BlockModel make_llama(const Config& c, bool init = true);

// The rotary inverse frequencies [head_dim / 2] (float32) of a llama config,
// scaling applied: what the model rotates by, position x frequency.
torch::Tensor llama_inv_freq(const Config& c);

// The pieces the fused llama (fused_model.cpp) computes the same way:
// RMSNorm (x * rsqrt(mean(x^2) + eps) in float32, back to x's dtype, times
// `weight`, which broadcasts); cos and sin of position x frequency for t
// positions [t, head_dim], in float32 then `like`'s dtype and device, no
// gradient; and the split-half rotation of q or k [..., t, head_dim].
torch::Tensor llama_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps);
std::pair<torch::Tensor, torch::Tensor> llama_rotary(const torch::Tensor& inv_freq, int64_t t, const torch::Tensor& like);
torch::Tensor llama_rotate(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace saturn::train
