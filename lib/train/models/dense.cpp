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
  lora_A = register_parameter("lora_A", torch::empty({rank, weight.size(1)}, o));
  lora_B = register_parameter("lora_B", torch::zeros({weight.size(0), rank}, o));
  torch::nn::init::kaiming_uniform_(lora_A, std::sqrt(5.0));
  lora_scale_ = alpha / static_cast<double>(rank);
  lora_dropout_ = dropout;
}

// y += scaling B(A(dropout(x))), PEFT's sum, in place: the base output is
// kept by nothing, so one kernel adds the scaled adapter output to it.
void DenseImpl::adapt(torch::Tensor& y, const torch::Tensor& x) {
  const auto h = lora_dropout_ > 0 && is_training() ? torch::dropout(x, lora_dropout_, true) : x;
  y.add_(torch::nn::functional::linear(torch::nn::functional::linear(h, lora_A), lora_B), lora_scale_);
}

TableImpl::TableImpl(int64_t rows, int64_t width, bool init) {
  weight = register_parameter("weight", torch::empty({rows, width}));
  if (init) torch::nn::init::normal_(weight);  // LibTorch's EmbeddingImpl::reset_parameters
}

}  // namespace saturn::train
