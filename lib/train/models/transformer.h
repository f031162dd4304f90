// TransformerBlock: pre-LayerNorm self-attention and GELU MLP with residual
// connections, shared by gpt (causal) and vit (bidirectional). Its
// submodules are GPT-2's: ln1, qkv (c_attn), proj, ln2, fc, fc_proj.
#pragma once

#include <torch/torch.h>

#include "train/models/decode.h"
#include "train/models/dense.h"

namespace saturn::train {

struct TransformerOptions {
  int64_t width = 128;      // model width
  int64_t heads = 4;        // attention heads; divides width
  int64_t mlp_ratio = 4;    // MLP hidden width / width
  double dropout = 0.0;     // on attention weights and residual branches
  bool causal = true;       // a token sees only earlier tokens
  bool bias = true;         // biases in linear layers and layer norms
  int64_t depth = 1;        // blocks in the model: scales the residual init
  double ln_eps = 1e-5;     // LayerNorm epsilon
  bool gelu_tanh = false;   // GELU's tanh approximation (GPT-2's gelu_new)
  bool init = true;         // initialise the weights (false: left for a load)
};

class TransformerBlockImpl : public torch::nn::Module, public Decodes {
 public:
  explicit TransformerBlockImpl(const TransformerOptions& o);
  // x: [batch, tokens, width] -> same shape.
  torch::Tensor forward(torch::Tensor x);
  // forward() over new tokens with the cache's keys and values (decode.h;
  // evaluation mode: no dropout).
  torch::Tensor decode(const torch::Tensor& x, const DecodeInput& in, KvCache& cache) override;

 private:
  torch::Tensor attention(const torch::Tensor& x);

  TransformerOptions o_;
  torch::nn::LayerNorm ln1_{nullptr}, ln2_{nullptr};
  Dense qkv_{nullptr}, proj_{nullptr}, fc_{nullptr}, fc_proj_{nullptr};
  torch::nn::Dropout drop_{nullptr};
};
TORCH_MODULE(TransformerBlock);

// Multi-head self-attention from the qkv projection [b, t, 3 * width] to the
// heads' output [b, t, width] (before the output projection); `p`: dropout
// on the attention weights. scaled_dot_product_attention with is_causal:
// the fused flash / memory-efficient kernels on CUDA, the math or flash CPU
// kernel on the CPU. Shared by TransformerBlock and the fused models.
torch::Tensor attend(const torch::Tensor& qkv, int64_t heads, bool causal, double p);

// GPT-2 initialisation: normal(0, 0.02) weights, zero biases, residual
// projections scaled by 1/sqrt(2 * depth).
void init_linear(Dense& l, double std);

}  // namespace saturn::train
