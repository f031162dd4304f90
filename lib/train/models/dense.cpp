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

TableImpl::TableImpl(int64_t rows, int64_t width, bool init) {
  weight = register_parameter("weight", torch::empty({rows, width}));
  if (init) torch::nn::init::normal_(weight);  // LibTorch's EmbeddingImpl::reset_parameters
}

}  // namespace saturn::train
