// TransformerBlock: pre-LayerNorm self-attention and GELU MLP with residual
// connections, shared by gpt (causal) and vit (bidirectional).
#pragma once

#include <torch/torch.h>

namespace saturn::train {

struct TransformerOptions {
  int64_t width = 128;      // model width
  int64_t heads = 4;        // attention heads; divides width
  int64_t mlp_ratio = 4;    // MLP hidden width / width
  int64_t max_len = 128;    // longest sequence (causal mask size)
  double dropout = 0.0;     // on attention weights and residual branches
  bool causal = true;       // a token sees only earlier tokens
  bool bias = true;         // biases in linear layers and layer norms
  int64_t depth = 1;        // blocks in the model: scales the residual init
};

class TransformerBlockImpl : public torch::nn::Module {
 public:
  explicit TransformerBlockImpl(const TransformerOptions& o);
  // x: [batch, tokens, width] -> same shape.
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::Tensor attention(const torch::Tensor& x);

  TransformerOptions o_;
  torch::nn::LayerNorm ln1_{nullptr}, ln2_{nullptr};
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr}, fc_{nullptr}, fc_proj_{nullptr};
  torch::nn::Dropout drop_{nullptr};
  // Causal only, LibTorch 1.x: [max_len, max_len], 0 where attention is
  // allowed and -inf elsewhere, added inside the QK^T product (baddbmm).
  // Derived, so not a buffer (checkpoints stay parameters only); made on
  // the device of the first input that needs it.
  torch::Tensor causal_bias_;
};
TORCH_MODULE(TransformerBlock);

// Multi-head self-attention from the qkv projection [b, t, 3 * width] to the
// heads' output [b, t, width] (before the output projection); `p`: dropout
// on the attention weights. `causal_bias` caches the [max_len, max_len]
// mask (LibTorch 1.x). Shared by TransformerBlock and the fused models.
torch::Tensor attend(const torch::Tensor& qkv, int64_t heads, bool causal, double p, int64_t max_len,
                     torch::Tensor& causal_bias);

// GPT-2 initialisation: normal(0, 0.02) weights, zero biases, residual
// projections scaled by 1/sqrt(2 * depth).
void init_linear(torch::nn::Linear& l, double std);

}  // namespace saturn::train
