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
// What a training forward keeps for backward, per token, counted tensor by
// tensor as LibTorch's CPU kernels keep them (a tensor kept by several ops
// counted once; weights and the rotary tables are not per sample).
//
// Attention's inputs, output and state (floats): with no dropout the fused
// scaled_dot_product_attention kernels (flash on CPU and CUDA) keep q, k, v
// (`kv` floats each for k and v), the output and each head's log-sum-exp,
// never the T x T scores. With dropout the CPU math kernel keeps the scaled
// q and k, v, the softmax, dropout's mask and the dropped scores (3 heads
// T), and the output's transposed copy (CUDA's fused kernels with dropout
// keep what they keep without: this overestimates them).
double attention_saved(double q, double kv, double heads, double tokens, bool dropout) {
  return dropout ? 3 * q + q + 3 * heads * tokens : 2 * q + 2 * kv + heads;
}

BlockCost transformer_block(double w, double heads, double ratio, double tokens, bool bias, bool dropout) {
  const double linear_w = (3 + 1 + 2 * ratio) * w * w;                   // qkv, proj, fc, fc_proj
  const double linear_b = bias ? (3 * w + w + ratio * w + w) : 0;
  const double norms = bias ? 4 * w : 2 * w;                             // ln1, ln2 (bias frozen when off)
  const double fwd = 2 * linear_w + 4 * tokens * w;                      // matmuls + QK^T and AV per token
  // Kept per token (floats): the block input and the residual sum (the
  // LayerNorms' inputs, 2w) with each norm's mean and rstd (4); both norms'
  // outputs (the qkv and fc inputs, 2w); attention's (q = k = v = w); fc's
  // output (gelu's input) and gelu's output (2 ratio w); with dropout, its
  // mask after proj and after fc_proj (2w, float on CPU).
  const double act = 4 * w + 4 + attention_saved(w, w, heads, tokens, dropout) + 2 * ratio * w + (dropout ? 2 * w : 0);
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
  // Per token: the blocks (each counting its input, the first the
  // embeddings' sum), dropout's mask after the embeddings (w), the head's
  // LayerNorm input (the last block's output), mean, rstd and output
  // (2w + 2) and the log-softmax the loss keeps (V; not the logits).
  const bool dropout = c.number("dropout") > 0;
  m.activation_bytes = T * (L * b.act_bytes_per_token + 4 * ((dropout ? w : 0) + 2 * w + 2 + V));
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
  // Kept per token (floats): per RMSNorm its input, rsqrt (1) and
  // normalised input (2w + 1), its output, the next projections' input (w);
  // attention's, k and v repeated to all heads under grouped-query
  // attention (the rotation keeps only its tables; o_proj's input is a view
  // of attention's output); gate, SiLU, up and their product (4I). The head:
  // its RMSNorm, whose input is the last block's output (3w + 1), and the
  // log-softmax the loss keeps (V; not the logits).
  const double act = 6 * w + 2 + attention_saved(q, KV == H ? kv : q, H, T, false) + 4 * I;
  m.activation_bytes = 4 * T * (L * act + 3 * w + 1 + V);
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
  // The image, the patch embedding's output, dropout's mask after it, the blocks.
  const double drop_mask = c.number("dropout") > 0 ? T * w : 0;
  m.activation_bytes = 4 * (n * ch * p * p + T * w + drop_mask) + T * d(c.integer("layers")) * b.act_bytes_per_token;
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
