// Mixed precision: which dtype a job computes in on its device, and a scope
// that turns LibTorch's autocast on for the forward pass (weights, gradients
// and optimizer state stay float32: the master copy).
#pragma once

#include <torch/torch.h>

#include "core/train_spec.h"

namespace saturn::train {

// auto: bf16 on CUDA, fp32 on CPU; fp32 and bf16 as written (bf16 on a CPU
// device uses CPU autocast).
bool uses_bf16(const torch::Device& device, Precision p);

// While alive, ops on `device` run under bf16 autocast when `on`; restores
// the previous state and drops autocast's cast cache on exit. Put the
// forward pass and the loss inside, the backward pass after.
class AutocastScope {
 public:
  AutocastScope(const torch::Device& device, bool on);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool on_, cuda_, was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kFloat;
};

}  // namespace saturn::train
