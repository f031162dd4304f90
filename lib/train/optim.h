// Optimizers and learning-rate schedules for one job: AdamW or SGD with
// momentum over the model's parameters, and the learning rate of each step
// (linear warm-up, then constant or cosine decay to zero at the last step).
#pragma once

#include <torch/torch.h>

#include <memory>

#include "core/hyperparams.h"
#include "core/train_spec.h"

namespace saturn::train {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::vector<torch::Tensor>& params,
                                                        Optimizer kind, const Hyperparams& hp);

// The learning rate for optimizer step `step` (0-based) of `total`.
double lr_at(int64_t step, int64_t total, Schedule schedule, const Hyperparams& hp);

// Sets every parameter group's learning rate.
void set_lr(torch::optim::Optimizer& opt, double lr);

}  // namespace saturn::train
