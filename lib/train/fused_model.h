// FusedModel: K models of one architecture and config trained as one
// (horizontal fusion, as HFTA). Every parameter of a plain model becomes one
// tensor with a leading K dimension, in the plain model's parameters()
// order; model k's weights are slice k, so a fused model and K plain ones
// convert into each other exactly (extract / load). The forward pass is the
// plain one, operator by operator, through the K dimension: linear layers
// as batched matrix products (baddbmm), layer norms and embeddings per
// model, attention over K x batch sequences, a grouped convolution for a
// ViT's patches, dropout elementwise. Input [K, batch, ...]; output logits
// [K, batch, ..., classes]. gpt, llama, mlp and vit; TorchScript models
// cannot be fused. Not thread safe.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "core/arch.h"
#include "core/value.h"
#include "train/models/block_model.h"

namespace saturn::train {

class FusedModel {
 public:
  // Model k is initialised as a plain model built after manual_seed(seeds[k])
  // (so model k starts where its unfused job would), then moved to `device`.
  FusedModel(Arch arch, const Config& config, const std::vector<int64_t>& seeds, const torch::Device& device);

  int64_t k() const { return k_; }
  // Every fused parameter (trainable or not) in the plain order; the
  // trainable ones are what the optimizer updates.
  const std::vector<torch::Tensor>& params() const { return params_; }
  std::vector<torch::Tensor> trainable() const;

  torch::Tensor forward(const torch::Tensor& x);
  // Mean cross-entropy of each model: [K].
  // `masked`: some targets are ignored (-100): each mean is over the rest.
  static torch::Tensor losses(const torch::Tensor& logits, const torch::Tensor& targets, bool masked = false);

  void train(bool on) { training_ = on; }

  // A plain model of this architecture (parameters uninitialised).
  BlockModel plain() const;
  // Model k's parameters copied into / from a plain model.
  void extract(int64_t k, BlockModel& into) const;
  void load(int64_t k, BlockModel& from);

 private:
  const torch::Tensor& p(const std::string& name) const;  // the fused parameter of that plain name
  torch::Tensor opt(const std::string& name) const;        // ... or undefined when the model has none
  torch::Tensor linear(const torch::Tensor& x, const std::string& prefix, bool bias = true) const;
  torch::Tensor layer_norm(const torch::Tensor& x, const std::string& prefix) const;
  torch::Tensor dropout(const torch::Tensor& x) const;
  torch::Tensor block(const torch::Tensor& x, const std::string& prefix, bool causal);
  // Token ids [K, b, t] looked up in each model's table [K, vocab, c].
  torch::Tensor embed(const torch::Tensor& idx, const torch::Tensor& table) const;
  // x [K, ..., c] times each model's head [K, vocab, c] (undefined: the tied table).
  torch::Tensor project(const torch::Tensor& x, const torch::Tensor& head, const torch::Tensor& table) const;
  torch::Tensor gpt(const torch::Tensor& x);
  torch::Tensor rms_norm(const torch::Tensor& x, const std::string& prefix) const;
  torch::Tensor llama_block(const torch::Tensor& x, const std::string& prefix, const torch::Tensor& cos,
                            const torch::Tensor& sin) const;
  torch::Tensor llama(const torch::Tensor& x);
  torch::Tensor mlp(const torch::Tensor& x);
  torch::Tensor vit(const torch::Tensor& x);

  Arch arch_;
  Config config_;
  int64_t k_;
  bool training_ = true;
  double dropout_ = 0;
  double ln_eps_ = 1e-5;        // LayerNorm epsilon (gpt: ln_eps)
  std::string gelu_ = "none";   // GELU approximation (gpt: "tanh" with gelu_tanh)
  std::vector<std::string> names_;
  std::vector<torch::Tensor> params_;
  std::map<std::string, size_t> index_;
  std::vector<std::string> block_prefix_;  // "<i>_<name>." of every block
};

}  // namespace saturn::train
