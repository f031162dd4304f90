// Horizontal fusion (HFTA) on one device: the K jobs of a group trained as
// one model (fused_model.h; LoRA jobs: K adapter sets on one shared frozen
// base, lora_group.h) with each job's own optimizer hyperparameters
// (fused_optim.h), batches from its own sampler, and its own gradient-norm
// clipping. A job that is not active is computed but masked out of the loss
// and the update. Each job's checkpoints are the single-job format, so it
// can continue unfused.
#pragma once

#include <memory>

#include "train/techniques/technique.h"

namespace saturn::train {

std::unique_ptr<TechniqueImpl> make_fused(const TechniqueSetup& t);

}  // namespace saturn::train
