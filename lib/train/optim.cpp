#include "train/optim.h"

#include <cmath>

namespace saturn::train {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::vector<torch::Tensor>& params,
                                                        Optimizer kind, const Hyperparams& hp) {
  if (kind == Optimizer::Sgd)
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(hp.lr).momentum(hp.momentum).weight_decay(hp.weight_decay));
  return std::make_unique<torch::optim::AdamW>(
      params, torch::optim::AdamWOptions(hp.lr).betas({hp.beta1, hp.beta2}).weight_decay(hp.weight_decay));
}

double lr_at(int64_t step, int64_t total, Schedule schedule, const Hyperparams& hp) {
  if (hp.warmup > 0 && step < hp.warmup) return hp.lr * static_cast<double>(step + 1) / static_cast<double>(hp.warmup);
  if (schedule == Schedule::Constant) return hp.lr;
  const double span = static_cast<double>(std::max<int64_t>(1, total - hp.warmup));
  const double progress = std::min(1.0, static_cast<double>(step - hp.warmup) / span);
  return hp.lr * 0.5 * (1.0 + std::cos(M_PI * progress));
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) group.options().set_lr(lr);
}

}  // namespace saturn::train
