// Dense and Table: torch::nn::Linear and torch::nn::Embedding with the same
// parameters ("weight" [out, in] and "bias" [out], an undefined "bias"
// without one; "weight" [rows, width]) and the same forward, whose
// initialisation is a choice. With `init`, exactly LibTorch's (weights
// kaiming-uniform with a = sqrt(5), biases uniform in +-1/sqrt(in); a table
// standard normal), so a seed gives the same model those modules give;
// without, the parameters are allocated and left unwritten, for weights
// about to be loaded (a 1B-parameter model builds in milliseconds instead
// of seconds).
#pragma once

#include <torch/torch.h>

namespace saturn::train {

class DenseImpl : public torch::nn::Module {
 public:
  DenseImpl(int64_t in, int64_t out, bool bias, bool init);
  torch::Tensor forward(const torch::Tensor& x) { return torch::nn::functional::linear(x, weight, bias); }
  torch::Tensor weight, bias;
};
TORCH_MODULE(Dense);

class TableImpl : public torch::nn::Module {
 public:
  TableImpl(int64_t rows, int64_t width, bool init);
  torch::Tensor forward(const torch::Tensor& idx) { return torch::embedding(weight, idx); }
  torch::Tensor weight;
};
TORCH_MODULE(Table);

}  // namespace saturn::train
