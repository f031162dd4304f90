// Dense and Table: torch::nn::Linear and torch::nn::Embedding with the same
// parameters ("weight" [out, in] and "bias" [out], an undefined "bias"
// without one; "weight" [rows, width]) and the same forward, whose
// initialisation is a choice. With `init`, exactly LibTorch's (weights
// kaiming-uniform with a = sqrt(5), biases uniform in +-1/sqrt(in); a table
// standard normal), so a seed gives the same model those modules give;
// without, the parameters are allocated and left unwritten, for weights
// about to be loaded (a 1B-parameter model builds in milliseconds instead
// of seconds).
//
// A Dense may carry a LoRA adapter (add_lora): its output gains
// (alpha / rank) B A dropout(x), Hugging Face PEFT's, with "lora_A" [rank,
// in] and "lora_B" [out, rank] the only parameters of it that train.
#pragma once

#include <torch/torch.h>

namespace saturn::train {

class DenseImpl : public torch::nn::Module {
 public:
  DenseImpl(int64_t in, int64_t out, bool bias, bool init);
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = torch::nn::functional::linear(x, weight, bias);
    if (lora_A.defined()) adapt(y, x);
    return y;
  }
  // Freezes weight and bias and adds an adapter: A drawn as a Linear's
  // weight (kaiming-uniform, a = sqrt(5)), B zeros, so the output is
  // unchanged until B trains.
  void add_lora(int64_t rank, double alpha, double dropout);
  torch::Tensor weight, bias;
  torch::Tensor lora_A, lora_B;  // undefined without an adapter

 private:
  void adapt(torch::Tensor& y, const torch::Tensor& x);  // y += the adapter's output
  double lora_scale_ = 0, lora_dropout_ = 0;
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
