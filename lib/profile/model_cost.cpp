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

// One projection of a block, under its Hugging Face name.
struct Projection {
  const char* name;
  double in, out;
};

std::vector<Projection> projections(Arch arch, const Config& c) {
  const double w = d(c.integer("width"));
  if (arch == Arch::Gpt) {
    const double h = d(c.integer("mlp_ratio")) * w;
    return {{"c_attn", w, 3 * w}, {"c_proj", w, w}, {"c_fc", w, h}, {"c_proj", h, w}};
  }
  const double q = d(c.integer("heads")) * d(llama_head_dim(c)), kv = d(llama_kv_heads(c)) * d(llama_head_dim(c)),
               I = d(llama_intermediate(c));
  return {{"q_proj", w, q},     {"k_proj", w, kv},  {"v_proj", w, kv},  {"o_proj", q, w},
          {"gate_proj", w, I},  {"up_proj", w, I},  {"down_proj", I, w}};
}

// `full` (the model's cost when every weight trains) under LoRA.
ModelCost lora(Arch arch, const Config& c, const FinetuneSpec& f, ModelCost m) {
  const double L = d(c.integer("layers")), w = d(c.integer("width")), V = d(c.integer("vocab")),
               T = d(c.integer("seq_len")), r = d(f.lora.rank);
  const bool emb = f.lora.train_embeddings, tied = c.flag("tied_head");
  auto targeted = [&](const std::string& name) {
    return std::find(f.lora.targets.begin(), f.lora.targets.end(), name) != f.lora.targets.end();
  };
  double adapter = 0;  // parameters per layer
  for (const auto& p : projections(arch, c))
    if (targeted(p.name)) adapter += r * (p.in + p.out);
  m.block_trainable.assign(m.block_params.size(), 0);
  if (emb) m.block_trainable.front() = V * w;  // a tied head shares it
  for (size_t b = 1; b + 1 < m.block_params.size(); ++b) {
    m.block_params[b] += adapter;
    m.block_trainable[b] = adapter;
  }
  m.params = m.trainable = 0;
  for (double p : m.block_params) m.params += p;
  for (double p : m.block_trainable) m.trainable += p;
  // The base: forward and the activations' gradients; the adapters: all three.
  m.flops_per_sample = 2 * (m.flops_per_sample / 3) + 3 * T * L * 2 * adapter;
  // Kept per token (floats), following which tensors need a gradient: the
  // embedding's output does only when the embedding trains, a frozen
  // projection's output when its input does or it has an adapter. A frozen
  // norm keeps its input and statistics where its input needs a gradient,
  // not its normalised input; a frozen projection keeps nothing, its input
  // stays only for an adapter (or, with adapter dropout, the dropped input
  // and, where the input needs a gradient, the mask). Each adapter keeps A's
  // output (rank).
  const bool drop = f.lora.dropout > 0;
  // What an adapter on a projection with input width `in` keeps beyond its
  // input, and whether its input is kept.
  auto adapter_keeps = [&](double in, bool in_grad) { return r + (drop ? in + (in_grad ? in : 0) : 0); };
  double kept = 0;
  bool grad = emb;  // the block input's
  if (arch == Arch::Llama) {
    const double H = d(c.integer("heads")), KV = d(llama_kv_heads(c)), hd = d(llama_head_dim(c)),
                 I = d(llama_intermediate(c));
    const double q = H * hd, kv = KV * hd;
    for (int64_t layer = 0; layer < c.integer("layers"); ++layer) {
      if (grad) kept += w + 1;  // RMSNorm: input, rsqrt
      bool any = false, qkv_grad = false;
      for (const char* p : {"q_proj", "k_proj", "v_proj"})
        if (targeted(p)) {
          kept += adapter_keeps(w, grad);
          any = true;
        }
      if (any && !drop) kept += w;  // the norm's output, the adapters' input
      qkv_grad = grad || any;
      if (qkv_grad) kept += attention_saved(q, KV == H ? kv : q, H, T, false);
      bool o_grad = qkv_grad;
      if (targeted("o_proj")) {
        kept += adapter_keeps(q, qkv_grad) + (!drop && !qkv_grad ? q : 0);  // attention's output, kept by it when it needs a gradient
        o_grad = true;
      }
      const bool x1 = grad || o_grad;
      if (x1) kept += w + 1;
      const bool gate = x1 || targeted("gate_proj"), up = x1 || targeted("up_proj");
      if (targeted("gate_proj")) kept += adapter_keeps(w, x1);
      if (targeted("up_proj")) kept += adapter_keeps(w, x1);
      if ((targeted("gate_proj") || targeted("up_proj")) && !drop) kept += w;
      if (gate) kept += 2 * I;  // SiLU's input, and up's output for the product's gradient
      if (up) kept += I;        // SiLU's output, for the product's gradient
      const bool p_grad = gate || up;
      if (targeted("down_proj")) kept += adapter_keeps(I, p_grad) + (drop ? 0 : I);
      grad = x1 || p_grad || targeted("down_proj");
    }
    if (grad) kept += w + 1;
    kept += V + (tied && emb ? w : 0);
  } else {
    const double H = d(c.integer("heads")), h = d(c.integer("mlp_ratio")) * w;
    const bool dropout = c.number("dropout") > 0;
    if (dropout && emb) kept += w;  // the embeddings' dropout mask
    for (int64_t layer = 0; layer < c.integer("layers"); ++layer) {
      if (grad) kept += w + 2;  // LayerNorm: input, mean, rstd
      if (targeted("c_attn")) kept += adapter_keeps(w, grad) + (drop ? 0 : w);
      const bool qkv = grad || targeted("c_attn");
      // Attention's inputs, state and output (with dropout, but for the
      // transposed copy of its output, which only an adapter keeps).
      if (qkv) kept += dropout ? attention_saved(w, w, H, T, true) - w : attention_saved(w, w, H, T, false);
      if (targeted("c_proj")) kept += adapter_keeps(w, qkv) + (!drop && (dropout || !qkv) ? w : 0);
      const bool a = qkv || targeted("c_proj");
      if (dropout && a) kept += w;
      const bool x1 = grad || a;
      if (x1) kept += w + 2;
      if (targeted("c_fc")) kept += adapter_keeps(w, x1) + (drop ? 0 : w);
      const bool fc = x1 || targeted("c_fc");
      if (fc) kept += h;  // gelu's input
      if (targeted("c_proj")) kept += adapter_keeps(h, fc) + (drop ? 0 : h);
      const bool mlp = fc || targeted("c_proj");
      if (dropout && mlp) kept += w;
      grad = x1 || mlp;
    }
    if (grad) kept += w + 2;
    kept += V + (tied && emb ? w : 0);
  }
  m.activation_bytes = 4 * T * kept;
  return m;
}

std::optional<ModelCost> full_cost(Arch arch, const Config& config) {
  std::optional<ModelCost> m;
  switch (arch) {
    case Arch::Gpt: m = gpt(config); break;
    case Arch::Vit: m = vit(config); break;
    case Arch::Mlp: m = mlp(config); break;
    case Arch::Resnet: m = resnet(config); break;
    case Arch::Torchscript: return std::nullopt;
    case Arch::Llama: m = llama(config); break;
  }
  if (m) {
    m->trainable = m->params;
    m->block_trainable = m->block_params;
  }
  return m;
}

}  // namespace

std::optional<ModelCost> model_cost(Arch arch, const Config& config) { return full_cost(arch, config); }

std::optional<ModelCost> model_cost(Arch arch, const Config& config, const FinetuneSpec& finetune) {
  auto m = full_cost(arch, config);
  if (m && finetune.lora_on() && lora_supported(arch)) return lora(arch, config, finetune, *m);
  return m;
}

}  // namespace saturn
