#include "train/models/block_model.h"

#include <set>

namespace saturn::train {

torch::Tensor BlockModelImpl::forward_range(torch::Tensor x, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) x = blocks_[i].forward(x);
  return x;
}

torch::Tensor BlockModelImpl::loss(const torch::Tensor& logits, const torch::Tensor& targets) {
  return torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}));
}

int64_t BlockModelImpl::parameter_count() {
  std::set<const void*> seen;
  int64_t n = 0;
  for (const auto& p : parameters())
    if (seen.insert(p.unsafeGetTensorImpl()).second) n += p.numel();
  return n;
}

void drop_storage(torch::Tensor& p) {
  p.set_data(torch::zeros(std::vector<int64_t>(static_cast<size_t>(p.dim()), 1), p.options()).expand(p.sizes()));
  p.mutable_grad() = torch::Tensor();
}

}  // namespace saturn::train
