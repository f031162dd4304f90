#include "train/models/dense.h"

#include <cmath>

namespace saturn::train {

DenseImpl::DenseImpl(int64_t in, int64_t out, bool with_bias, bool init) {
  weight = register_parameter("weight", torch::empty({out, in}));
  bias = with_bias ? register_parameter("bias", torch::empty({out})) : register_parameter("bias", {}, false);
  if (!init) return;
  // LibTorch's LinearImpl::reset_parameters.
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (with_bias) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    torch::nn::init::uniform_(bias, -bound, bound);
  }
}

void DenseImpl::add_lora(int64_t rank, double alpha, double dropout) {
  weight.requires_grad_(false);
  if (bias.defined()) bias.requires_grad_(false);
  const auto o = weight.options().requires_grad(false);
  lora_A = register_parameter("lora_A", draw_lora_A(rank, weight.size(1), o));
  lora_B = register_parameter("lora_B", torch::zeros({weight.size(0), rank}, o));
  lora_scale_ = alpha / static_cast<double>(rank);
  lora_dropout_ = dropout;
}

torch::Tensor DenseImpl::draw_lora_A(int64_t rank, int64_t in, const torch::TensorOptions& o) {
  torch::Tensor a = torch::empty({rank, in}, o);
  torch::NoGradGuard g;
  torch::nn::init::kaiming_uniform_(a, std::sqrt(5.0));
  return a;
}

void DenseImpl::set_lora_sets(const torch::Tensor& A, const torch::Tensor& B, const std::vector<double>& scales,
                              const std::vector<double>& dropouts) {
  torch::NoGradGuard g;
  lora_A.set_data(A);
  lora_B.set_data(B);
  const auto on = A.options().dtype(torch::kFloat).requires_grad(false);
  const auto k = static_cast<int64_t>(scales.size());
  set_scales_ = torch::tensor(scales, torch::kDouble).to(on).view({k, 1, 1});
  std::vector<double> keep;
  for (double p : dropouts) keep.push_back(1 - p);
  set_keep_ = torch::tensor(keep, torch::kDouble).to(on).view({k, 1, 1});
  set_dropout_ = false;
  for (double p : dropouts) set_dropout_ = set_dropout_ || p > 0;
}

// Set k: x's k-th part [N, in] through its A and B, with its scale (applied
// to the rank-wide middle, the smallest tensor) and dropout.
void DenseImpl::adapt_sets(torch::Tensor& y, const torch::Tensor& x) {
  const int64_t k = lora_A.size(0);
  torch::Tensor x3 = x.reshape({k, -1, x.size(-1)});
  if (set_dropout_ && is_training()) x3 = x3 * torch::rand_like(x3).lt(set_keep_).to(x3.dtype()).div(set_keep_.to(x3.dtype()));
  torch::Tensor h = torch::bmm(x3, lora_A.transpose(1, 2));
  h = h * set_scales_.to(h.dtype());
  y.add_(torch::bmm(h, lora_B.transpose(1, 2)).view(y.sizes()));
}

// y += scaling B(A(dropout(x))), PEFT's sum, in place: the base output is
// kept by nothing, so one kernel adds the scaled adapter output to it.
void DenseImpl::adapt(torch::Tensor& y, const torch::Tensor& x) {
  if (lora_A.dim() == 3) return adapt_sets(y, x);
  const auto h = lora_dropout_ > 0 && is_training() ? torch::dropout(x, lora_dropout_, true) : x;
  y.add_(torch::nn::functional::linear(torch::nn::functional::linear(h, lora_A), lora_B), lora_scale_);
}

TableImpl::TableImpl(int64_t rows, int64_t width, bool init) {
  weight = register_parameter("weight", torch::empty({rows, width}));
  if (init) torch::nn::init::normal_(weight);  // LibTorch's EmbeddingImpl::reset_parameters
}

}  // namespace saturn::train
