#include "train/models/transformer.h"

#include <cmath>

namespace saturn::train {

void init_linear(Dense& l, double std) {
  torch::NoGradGuard g;
  l->weight.normal_(0.0, std);
  if (l->bias.defined()) l->bias.zero_();
}

TransformerBlockImpl::TransformerBlockImpl(const TransformerOptions& o) : o_(o) {
  const int64_t c = o.width;
  auto ln = [&](const char* name) {
    return register_module(name, torch::nn::LayerNorm(
                                     torch::nn::LayerNormOptions({c}).elementwise_affine(true).eps(o.ln_eps)));
  };
  ln1_ = ln("ln1");
  ln2_ = ln("ln2");
  auto linear = [&](const char* name, int64_t in, int64_t out) {
    return register_module(name, Dense(in, out, o.bias, o.init));
  };
  qkv_ = linear("qkv", c, 3 * c);
  proj_ = linear("proj", c, c);
  fc_ = linear("fc", c, o.mlp_ratio * c);
  fc_proj_ = linear("fc_proj", o.mlp_ratio * c, c);
  drop_ = register_module("drop", torch::nn::Dropout(o.dropout));
  const double residual_std = 0.02 / std::sqrt(2.0 * static_cast<double>(o.depth));
  if (o.init) {
    init_linear(qkv_, 0.02);
    init_linear(fc_, 0.02);
    init_linear(proj_, residual_std);
    init_linear(fc_proj_, residual_std);
  }
  if (!o.bias) {
    // LayerNorm without bias: keep the bias at zero and out of training.
    ln1_->bias.requires_grad_(false);
    ln2_->bias.requires_grad_(false);
  }
}

torch::Tensor attend(const torch::Tensor& qkv_in, int64_t heads, bool causal, double p) {
  const int64_t b = qkv_in.size(0), t = qkv_in.size(1), c = qkv_in.size(2) / 3, h = heads, d = c / h;
  auto qkv = qkv_in.view({b, t, 3, h, d}).permute({2, 0, 3, 1, 4});                   // [3, b, h, t, d]
  auto y = at::scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], {}, p, causal);  // [b, h, t, d]
  return y.transpose(1, 2).reshape({b, t, c});
}

torch::Tensor TransformerBlockImpl::attention(const torch::Tensor& x) {
  const double p = is_training() ? o_.dropout : 0.0;
  auto y = proj_(attend(qkv_(x), o_.heads, o_.causal, p));
  return p > 0 ? drop_(y) : y;
}

torch::Tensor TransformerBlockImpl::decode(const torch::Tensor& x_in, const DecodeInput& in, KvCache& cache) {
  const int64_t b = x_in.size(0), t = x_in.size(1), c = o_.width, h = o_.heads, d = c / h;
  auto qkv = qkv_(ln1_(x_in)).view({b, t, 3, h, d}).permute({2, 0, 3, 1, 4});  // [3, b, h, t, d]
  append_kv(cache, qkv[1], qkv[2]);
  auto y = attend_cached(qkv[0], cache, in.attend).transpose(1, 2).reshape({b, t, c});
  auto x = x_in + proj_(y);
  return x + fc_proj_(torch::gelu(fc_(ln2_(x)), o_.gelu_tanh ? "tanh" : "none"));
}

torch::Tensor TransformerBlockImpl::forward(torch::Tensor x) {
  x = x + attention(ln1_(x));
  auto m = fc_proj_(torch::gelu(fc_(ln2_(x)), o_.gelu_tanh ? "tanh" : "none"));
  return x + (is_training() && o_.dropout > 0 ? drop_(m) : m);
}

}  // namespace saturn::train
