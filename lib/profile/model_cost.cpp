#include "profile/model_cost.h"

#include <algorithm>
#include <array>

#include "core/arch.h"

namespace saturn {
namespace {

double d(int64_t v) { return static_cast<double>(v); }

// One pre-LayerNorm transformer block (lib/train/models/transformer.cpp).
struct BlockCost {
  double params, flops_per_token, act_bytes_per_token;
};
// Attention's saved state per token and layer (floats): the fused
// scaled_dot_product_attention kernels (flash on CPU and CUDA) keep each
// head's log-sum-exp, not the T x T scores; with attention dropout the math
// kernel keeps scores and probabilities (2 heads tokens).
double attention_saved(double heads, double tokens, bool dropout) { return dropout ? 2 * heads * tokens : heads; }

BlockCost transformer_block(double w, double heads, double ratio, double tokens, bool bias, bool dropout) {
  const double linear_w = (3 + 1 + 2 * ratio) * w * w;                   // qkv, proj, fc, fc_proj
  const double linear_b = bias ? (3 * w + w + ratio * w + w) : 0;
  const double norms = bias ? 4 * w : 2 * w;                             // ln1, ln2 (bias frozen when off)
  const double fwd = 2 * linear_w + 4 * tokens * w;                      // matmuls + QK^T and AV per token
  // Saved for backward per token (floats): ln inputs and outputs (4w), qkv
  // (3w), attention's state (attention_saved), attention output and
  // projection input (2w), fc output and gelu output (2 ratio w), residual
  // branches (2w).
  const double act = (4 + 3 + 2 + 2) * w + 2 * ratio * w + attention_saved(heads, tokens, dropout);
  return {linear_w + linear_b + norms, 3 * fwd, 4 * act};
}

ModelCost gpt(const Config& c) {
  const double L = d(c.integer("layers")), w = d(c.integer("width")), V = d(c.integer("vocab")),
               T = d(c.integer("seq_len")), h = d(c.integer("heads")), r = d(c.integer("mlp_ratio"));
  const bool bias = c.flag("bias"), tied = c.flag("tied_head");
  ModelCost m;
  m.tokens_per_sample = T;
  const BlockCost b = transformer_block(w, h, r, T, bias, c.number("dropout") > 0);
  const double P = c.integer("positions") > 0 ? d(c.integer("positions")) : T;
  m.block_params.push_back(V * w + P * w);  // token and position embeddings
  for (int64_t i = 0; i < c.integer("layers"); ++i) m.block_params.push_back(b.params);
  m.block_params.push_back((bias ? 2 * w : w) + (tied ? 0 : V * w));
  for (double p : m.block_params) m.params += p;
  m.flops_per_sample = T * (L * b.flops_per_token + 3 * 2 * w * V);
  // Per token: embeddings (w), the blocks, the head's norm (2w) and logits
  // with their softmax (2V).
  m.activation_bytes = T * (4 * w + L * b.act_bytes_per_token + 4 * (2 * w + 2 * V));
  return m;
}

// Llama, Mistral, Qwen2 (lib/train/models/llama.cpp): per layer, q/k/v/o
// projections with grouped-query attention (q/k/v biases with qkv_bias),
// a SwiGLU MLP (gate, up, down), two RMSNorm weights; a final RMSNorm and a
// head tied or not. Parameter counts equal Hugging Face's.
ModelCost llama(const Config& c) {
  const double L = d(c.integer("layers")), w = d(c.integer("width")), V = d(c.integer("vocab")),
               T = d(c.integer("seq_len")), H = d(c.integer("heads")), KV = d(llama_kv_heads(c)),
               hd = d(llama_head_dim(c)), I = d(llama_intermediate(c));
  const bool tied = c.flag("tied_head");
  const double q = H * hd, kv = KV * hd;
  const double linear_w = w * (q + 2 * kv) + q * w + 3 * w * I;
  const double block = linear_w + (c.flag("qkv_bias") ? q + 2 * kv : 0) + 2 * w;
  ModelCost m;
  m.tokens_per_sample = T;
  m.block_params.push_back(V * w);
  for (int64_t i = 0; i < c.integer("layers"); ++i) m.block_params.push_back(block);
  m.block_params.push_back(w + (tied ? 0 : V * w));
  for (double p : m.block_params) m.params += p;
  // Forward per token: the matmuls, QK^T and AV over T keys, the head.
  const double fwd_token = 2 * linear_w + 4 * T * q;
  m.flops_per_sample = 3 * T * (L * fwd_token + 2 * w * V);
  // Saved for backward per token (floats): both norms' inputs and outputs
  // (4w), q, k, v before and q, k after rotation (2q + 3kv), attention's
  // log-sum-exp (H: no dropout, the fused kernels), attention output (q),
  // gate, up, their SiLU and product (4I), residual branches (2w).
  const double act = 6 * w + 3 * q + 3 * kv + attention_saved(H, T, false) + 4 * I;
  m.activation_bytes = 4 * T * (w + L * act + 2 * w + 2 * V);
  return m;
}

ModelCost vit(const Config& c) {
  const double w = d(c.integer("width")), h = d(c.integer("heads")), r = d(c.integer("mlp_ratio")),
               p = d(c.integer("patch")), ch = d(c.integer("channels")), classes = d(c.integer("classes"));
  const double n = (d(c.integer("image")) / p) * (d(c.integer("image")) / p), T = n + 1;
  ModelCost m;
  const BlockCost b = transformer_block(w, h, r, T, true, c.number("dropout") > 0);
  const double patch_w = ch * p * p * w;
  m.block_params.push_back(patch_w + w + w + T * w);  // conv weight + bias, cls, positions
  for (int64_t i = 0; i < c.integer("layers"); ++i) m.block_params.push_back(b.params);
  m.block_params.push_back(2 * w + w * classes + classes);
  for (double q : m.block_params) m.params += q;
  m.flops_per_sample = 3 * (2 * n * patch_w + 2 * w * classes) + T * d(c.integer("layers")) * b.flops_per_token;
  m.activation_bytes = 4 * (n * ch * p * p + T * w) + T * d(c.integer("layers")) * b.act_bytes_per_token;
  return m;
}

ModelCost mlp(const Config& c) {
  double in = d(c.integer("image")) * d(c.integer("image")) * d(c.integer("channels"));
  const double hidden = d(c.integer("hidden")), classes = d(c.integer("classes"));
  ModelCost m;
  double fwd = 0, act = in;
  for (int64_t i = 0; i < c.integer("layers"); ++i) {
    m.block_params.push_back(in * hidden + hidden);
    fwd += 2 * in * hidden;
    act += 2 * hidden;  // linear output and relu output
    in = hidden;
  }
  m.block_params.push_back(in * classes + classes);
  fwd += 2 * in * classes;
  act += 2 * classes;
  for (double q : m.block_params) m.params += q;
  m.flops_per_sample = 3 * fwd;
  m.activation_bytes = 4 * act;
  return m;
}

// torchvision's ResNet: a 7x7 stem, four stages (basic blocks below depth
// 50, bottlenecks from 50), batch norms, a linear classifier.
ModelCost resnet(const Config& c) {
  const int64_t depth = c.integer("depth");
  std::array<int, 4> blocks = {3, 4, 6, 3};
  if (depth == 18) blocks = {2, 2, 2, 2};
  if (depth == 101) blocks = {3, 4, 23, 3};
  if (depth == 152) blocks = {3, 8, 36, 3};
  if (depth == 200) blocks = {3, 24, 36, 3};
  const bool bottleneck = depth >= 50;
  const double base = d(c.integer("width")), ch = d(c.integer("channels")), classes = d(c.integer("classes"));
  double side = d(c.integer("image")) / 2;  // after the stride-2 stem
  ModelCost m;
  double fwd = 0, act = 0;
  auto conv = [&](double in, double out, double k, double out_side, double& params) {
    params += in * out * k * k + 2 * out;  // weight + batch norm
    fwd += 2 * in * out * k * k * out_side * out_side;
    act += 3 * out * out_side * out_side;  // conv output, norm output, relu output
  };
  double stem = 0;
  conv(ch, base, 7, side, stem);
  side /= 2;  // max pool
  m.block_params.push_back(stem);
  double in = base;
  for (int s = 0; s < 4; ++s) {
    const double width = base * static_cast<double>(1 << s), out = bottleneck ? 4 * width : width;
    for (int b = 0; b < blocks[static_cast<size_t>(s)]; ++b) {
      if (b == 0 && s > 0) side /= 2;
      double params = 0;
      if (bottleneck) {
        conv(in, width, 1, side, params);
        conv(width, width, 3, side, params);
        conv(width, out, 1, side, params);
      } else {
        conv(in, width, 3, side, params);
        conv(width, out, 3, side, params);
      }
      if (b == 0 && in != out) conv(in, out, 1, side, params);  // projection shortcut
      m.block_params.push_back(params);
      in = out;
    }
  }
  m.block_params.push_back(in * classes + classes);
  fwd += 2 * in * classes;
  for (double q : m.block_params) m.params += q;
  m.flops_per_sample = 3 * fwd;
  m.activation_bytes = 4 * act;
  return m;
}

}  // namespace

std::optional<ModelCost> model_cost(Arch arch, const Config& config) {
  switch (arch) {
    case Arch::Gpt: return gpt(config);
    case Arch::Vit: return vit(config);
    case Arch::Mlp: return mlp(config);
    case Arch::Resnet: return resnet(config);
    case Arch::Torchscript: return std::nullopt;
    case Arch::Llama: return llama(config);
  }
  return std::nullopt;
}

}  // namespace saturn
