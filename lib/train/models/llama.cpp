#include "train/models/llama.h"

#include <cmath>

#include "core/arch.h"
#include "train/models/decode.h"
#include "train/models/dense.h"

namespace saturn::train {
namespace {

Dense linear(int64_t in, int64_t out, bool bias, bool init) {
  Dense l(in, out, bias, init);
  if (!init) return l;
  torch::NoGradGuard g;
  l->weight.normal_(0.0, 0.02);
  if (bias) l->bias.zero_();
  return l;
}


class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t width, double eps) : eps_(eps) { weight = register_parameter("weight", torch::ones({width})); }
  torch::Tensor forward(const torch::Tensor& x) { return llama_rms_norm(x, weight, eps_); }
  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(RMSNorm);

class EmbedImpl : public torch::nn::Module {
 public:
  EmbedImpl(int64_t vocab, int64_t width, bool init) {
    embed_tokens = register_module("embed_tokens", Table(vocab, width, init));
    if (!init) return;
    torch::NoGradGuard g;
    embed_tokens->weight.normal_(0.0, 0.02);
  }
  torch::Tensor forward(torch::Tensor idx) { return embed_tokens(idx); }
  Table embed_tokens{nullptr};
};
TORCH_MODULE(Embed);

class BlockImpl : public torch::nn::Module, public Decodes {
 public:
  BlockImpl(const Config& c, bool init)
      : heads_(c.integer("heads")), kv_heads_(llama_kv_heads(c)), head_dim_(llama_head_dim(c)),
        eps_(c.number("rms_eps")), inv_freq_(llama_inv_freq(c)) {
    const int64_t w = c.integer("width"), inter = llama_intermediate(c);
    const bool bias = c.flag("qkv_bias");
    q_proj = register_module("q_proj", linear(w, heads_ * head_dim_, bias, init));
    k_proj = register_module("k_proj", linear(w, kv_heads_ * head_dim_, bias, init));
    v_proj = register_module("v_proj", linear(w, kv_heads_ * head_dim_, bias, init));
    o_proj = register_module("o_proj", linear(heads_ * head_dim_, w, false, init));
    gate_proj = register_module("gate_proj", linear(w, inter, false, init));
    up_proj = register_module("up_proj", linear(w, inter, false, init));
    down_proj = register_module("down_proj", linear(inter, w, false, init));
    input_layernorm = register_module("input_layernorm", RMSNorm(w, eps_));
    post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(w, eps_));
  }

  torch::Tensor forward(torch::Tensor x) {
    x = x + attention(input_layernorm(x));
    auto h = post_attention_layernorm(x);
    return x + down_proj(torch::silu(gate_proj(h)) * up_proj(h));
  }

  torch::Tensor decode(const torch::Tensor& x_in, const DecodeInput& in, KvCache& cache) override {
    auto x = x_in + attention_cached(input_layernorm(x_in), in, cache);
    auto h = post_attention_layernorm(x);
    return x + down_proj(torch::silu(gate_proj(h)) * up_proj(h));
  }

  Dense q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  Dense gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};

 private:
  // attention() over the new tokens at their positions, with the cache's
  // earlier keys and values (transformers' rotary: position x frequency in
  // float32, cos and sin in q's dtype).
  torch::Tensor attention_cached(const torch::Tensor& x, const DecodeInput& in, KvCache& cache) {
    const int64_t b = x.size(0), t = x.size(1);
    auto q = q_proj(x).view({b, t, heads_, head_dim_}).transpose(1, 2);
    auto k = k_proj(x).view({b, t, kv_heads_, head_dim_}).transpose(1, 2);
    auto v = v_proj(x).view({b, t, kv_heads_, head_dim_}).transpose(1, 2);
    torch::Tensor cos, sin;
    {
      torch::NoGradGuard g;
      auto freqs = in.positions.to(torch::kFloat).unsqueeze(-1) * inv_freq_.to(x.device());  // [b, t, d / 2]
      auto emb = torch::cat({freqs, freqs}, -1).unsqueeze(1);                                 // [b, 1, t, d]
      cos = emb.cos().to(q.scalar_type());
      sin = emb.sin().to(q.scalar_type());
    }
    q = llama_rotate(q, cos, sin);
    k = llama_rotate(k, cos, sin);
    append_kv(cache, k, v);
    auto y = attend_cached(q, cache, in.attend);
    return o_proj(y.transpose(1, 2).reshape({b, t, heads_ * head_dim_}));
  }

  torch::Tensor attention(const torch::Tensor& x) {
    const int64_t b = x.size(0), t = x.size(1);
    auto q = q_proj(x).view({b, t, heads_, head_dim_}).transpose(1, 2);     // [b, h, t, d]
    auto k = k_proj(x).view({b, t, kv_heads_, head_dim_}).transpose(1, 2);  // [b, kv, t, d]
    auto v = v_proj(x).view({b, t, kv_heads_, head_dim_}).transpose(1, 2);
    const auto& [cos, sin] = rotary(t, q);
    q = llama_rotate(q, cos, sin);
    k = llama_rotate(k, cos, sin);
    if (kv_heads_ != heads_) {
      k = k.repeat_interleave(heads_ / kv_heads_, 1);
      v = v.repeat_interleave(heads_ / kv_heads_, 1);
    }
    auto y = at::scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/true);  // scale 1/sqrt(d)
    return o_proj(y.transpose(1, 2).reshape({b, t, heads_ * head_dim_}));
  }

  // llama_rotary for t positions (float32, as transformers computes it,
  // autocast or not), kept for the next forward of the same length.
  const std::pair<torch::Tensor, torch::Tensor>& rotary(int64_t t, const torch::Tensor& q) {
    if (!rot_.first.defined() || rot_.first.size(0) != t || rot_.first.device() != q.device() ||
        rot_.first.scalar_type() != q.scalar_type())
      rot_ = llama_rotary(inv_freq_, t, q);
    return rot_;
  }

  int64_t heads_, kv_heads_, head_dim_;
  double eps_;
  torch::Tensor inv_freq_;
  std::pair<torch::Tensor, torch::Tensor> rot_;  // the last rotary table
};
TORCH_MODULE(Block);

// The final RMSNorm and the projection to the vocabulary; a tied head uses
// the embedding's weight (owned and registered by the embed block only).
class HeadImpl : public torch::nn::Module {
 public:
  HeadImpl(const Config& c, bool init, const Embed& tied) {
    const int64_t w = c.integer("width");
    norm = register_module("norm", RMSNorm(w, c.number("rms_eps")));
    if (tied) tied_ = tied;
    else lm_head = register_module("lm_head", linear(w, c.integer("vocab"), false, init));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = norm(x);
    return tied_ ? torch::nn::functional::linear(x, tied_->embed_tokens->weight) : lm_head(x);
  }
  RMSNorm norm{nullptr};
  Dense lm_head{nullptr};

 private:
  Embed tied_{nullptr};
};
TORCH_MODULE(Head);

}  // namespace

torch::Tensor llama_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  const auto dtype = x.scalar_type();
  auto h = x.to(torch::kFloat);
  h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * h.to(dtype);
}

std::pair<torch::Tensor, torch::Tensor> llama_rotary(const torch::Tensor& inv_freq, int64_t t, const torch::Tensor& like) {
  torch::NoGradGuard g;
  auto pos = torch::arange(t, torch::TensorOptions().dtype(torch::kFloat).device(like.device()));
  auto freqs = torch::outer(pos, inv_freq.to(like.device()));
  auto emb = torch::cat({freqs, freqs}, -1);
  return {emb.cos().to(like.scalar_type()), emb.sin().to(like.scalar_type())};
}

// x * cos + rotate_half(x) * sin; rotate_half: the second half negated, then the first.
torch::Tensor llama_rotate(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  return x * cos + torch::cat({-x.slice(-1, half), x.slice(-1, 0, half)}, -1) * sin;
}

torch::Tensor llama_inv_freq(const Config& c) {
  const int64_t d = llama_head_dim(c);
  const double theta = c.number("rope_theta"), factor = c.number("rope_factor");
  // 1 / theta^(2i / d), in float32 like transformers' default rope.
  auto exponent = torch::arange(0, d, 2, torch::kLong).to(torch::kFloat) / static_cast<float>(d);
  auto inv = 1.0 / torch::pow(theta, exponent);
  if (factor == 1.0) return inv;
  if (!c.flag("rope_llama3")) return inv / factor;
  // llama3: long wavelengths scaled by the factor, short ones kept, those
  // in between interpolated (transformers' _compute_llama3_parameters).
  const double low = c.number("rope_low_freq"), high = c.number("rope_high_freq");
  const double old_len = static_cast<double>(c.integer("rope_original_len"));
  const double low_wavelen = old_len / low, high_wavelen = old_len / high;
  auto wavelen = 2 * M_PI / inv;
  auto scaled = torch::where(wavelen > low_wavelen, inv / factor, inv);
  auto smooth = (old_len / wavelen - low) / (high - low);
  auto smoothed = (1 - smooth) * scaled / factor + smooth * scaled;
  auto medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
  return torch::where(medium, smoothed, scaled).to(torch::kFloat);
}

BlockModel make_llama(const Config& c, bool init) {
  BlockModel m;
  Embed embed(c.integer("vocab"), c.integer("width"), init);
  m->add_block("embed", embed);
  for (int64_t i = 0; i < c.integer("layers"); ++i) m->add_block("block", Block(c, init));
  const bool tied = c.flag("tied_head");
  m->add_block("head", Head(c, init, tied ? embed : Embed(nullptr)));
  if (tied) m->add_use(m->size() - 1, 0);
  return m;
}

}  // namespace saturn::train
