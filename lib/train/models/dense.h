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
// A group of K LoRA jobs on one shared base (train/lora_group.h) turns the
// adapter into K sets (set_lora_sets): "lora_A" [K, rank, in], "lora_B"
// [K, out, rank], the input's leading dimension K x batch, set k adapting
// the k-th part of it with its own scale and dropout.
#pragma once

#include <torch/torch.h>

#include <vector>

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
  // An adapter's initial A [rank, in], drawn as add_lora draws it.
  static torch::Tensor draw_lora_A(int64_t rank, int64_t in, const torch::TensorOptions& o);
  // Replaces the adapter (add_lora first) with K sets: A [K, rank, in], B
  // [K, out, rank], on the device the forward runs on; set k's output is
  // scaled by scales[k] and its input dropped with probability dropouts[k].
  void set_lora_sets(const torch::Tensor& A, const torch::Tensor& B, const std::vector<double>& scales,
                     const std::vector<double>& dropouts);
  torch::Tensor weight, bias;
  torch::Tensor lora_A, lora_B;  // undefined without an adapter

 private:
  void adapt(torch::Tensor& y, const torch::Tensor& x);  // y += the adapter's output
  void adapt_sets(torch::Tensor& y, const torch::Tensor& x);  // ... of K adapter sets
  double lora_scale_ = 0, lora_dropout_ = 0;
  torch::Tensor set_scales_, set_keep_;  // K sets: [K, 1, 1] scales and keep probabilities
  bool set_dropout_ = false;             // some set drops its input
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
