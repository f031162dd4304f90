// Optimizer state per parameter, across LibTorch versions: what FSDP,
// spilling and pipelines need to move an optimizer's state between a full
// model (the single-device checkpoint format) and their shards or stages.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace saturn::train {

// A parameter's state tensors by name (AdamW: exp_avg, exp_avg_sq, and
// max_exp_avg_sq when defined; SGD: momentum_buffer) and AdamW's step count.
// Empty before the optimizer's first step.
struct StateView {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  int64_t step = 0;
};

StateView state_of(torch::optim::Optimizer& opt, const torch::Tensor& p);
// Replaces p's state in `opt` (AdamW or SGD, as `opt` is); no-op when empty.
void set_state(torch::optim::Optimizer& opt, const torch::Tensor& p, const StateView& v);

}  // namespace saturn::train
