// ModelCost: what one job shape costs per sample, computed from its
// architecture and config alone (no LibTorch): trainable parameters, FLOPs of
// a training step, bytes of activations kept for the backward pass, and how
// the parameters spread over the model's blocks (the unit FSDP, pipelines and
// spilling work in). Parameter counts match lib/train's models exactly for
// gpt, llama, mlp and vit, and activation bytes what their float32 forward
// keeps on CPU within 1% (tests measure both); resnet follows torchvision's
// layout.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/arch.h"
#include "core/finetune.h"
#include "core/value.h"

namespace saturn {

struct ModelCost {
  double params = 0;               // parameters (with LoRA: the frozen base and the adapters)
  double trainable = 0;            // parameters that train (and have gradients and optimizer state)
  double flops_per_sample = 0;     // forward + backward (3 x forward), matmuls and convolutions
  double activation_bytes = 0;     // float32 bytes kept for backward, per sample
  std::vector<double> block_params;  // per block, in order (embedding, layers..., head)
  std::vector<double> block_trainable;  // the trainable ones of each block
  double tokens_per_sample = 1;    // sequence length for token models, 1 for images
};

// nullopt for a TorchScript module: only a measurement knows its cost.
std::optional<ModelCost> model_cost(Arch arch, const Config& config);

// The same under `finetune`: with LoRA the adapters are what trains, a step
// computes no weight gradients for the frozen base (2 x its forward, 3 x
// the adapters'), and the forward keeps only what the adapters' and the
// activations' gradients need (frozen norms and heads keep less).
std::optional<ModelCost> model_cost(Arch arch, const Config& config, const FinetuneSpec& finetune);

}  // namespace saturn
