// Spilling (Hydra) on one device: every block's parameters and the
// optimizer state live in host memory; a group of `group_blocks` blocks is
// copied to the device for its forward and again for its backward, its
// gradients copied back (sharded_model.h). With CUDA the next group is
// prefetched on a side stream.
#pragma once

#include <memory>

#include "train/techniques/technique.h"

namespace saturn::train {

std::unique_ptr<TechniqueImpl> make_spill(const TechniqueSetup& t);

}  // namespace saturn::train
