// FusedOptimizer: AdamW or SGD over a fused model's parameters (leading K
// dimension), with each model's own hyperparameters (lr, weight decay,
// betas or momentum) as vectors over K, applied in one pass per parameter.
// The arithmetic is LibTorch's AdamW / SGD step (decoupled weight decay,
// bias-corrected moments; SGD momentum without dampening, weight decay added
// to the gradient), so model k follows the path its unfused job would.
// Each model keeps its own step count; a step can leave some models out
// (finished ones), whose parameters and state do not change. State per
// model converts to and from a plain optimizer's (optim_state.h) for the
// single-job checkpoint format. Not thread safe.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/hyperparams.h"
#include "core/workload.h"
#include "train/optim_state.h"

namespace saturn::train {

class FusedOptimizer {
 public:
  FusedOptimizer(std::vector<torch::Tensor> params, Optimizer kind, const std::vector<Hyperparams>& hps);

  // This step's learning rate of each model (the schedule's value).
  void set_lr(const std::vector<double>& lr);
  // Updates the models with active[k] (all when empty) from their gradients.
  void step(const std::vector<bool>& active = {});

  // Model k's state of parameter i, as a plain optimizer holds it; and back.
  StateView state(size_t i, int64_t k) const;
  void set_state(size_t i, int64_t k, const StateView& v);

 private:
  // This step's per-model factors for the stepping models, [K'] each
  // (SGD: decay = weight decay, beta1 = momentum, step = -lr).
  struct Coefficients {
    torch::Tensor decay, beta1, one_minus_beta1, beta2, one_minus_beta2, bias2, step;
  };
  Coefficients coefficients(const std::vector<int64_t>& models, const torch::TensorOptions& o) const;
  void update(torch::Tensor p, const torch::Tensor& g, std::vector<torch::Tensor*> state, const Coefficients& c);

  std::vector<torch::Tensor> params_;
  Optimizer kind_;
  std::vector<Hyperparams> hps_;
  std::vector<double> lr_;
  std::vector<int64_t> steps_;
  // AdamW: exp_avg, exp_avg_sq per parameter; SGD: momentum_buffer (zeros
  // for a model that has not stepped, whose buffer starts as its gradient).
  std::vector<torch::Tensor> m_, v_;
};

}  // namespace saturn::train
