// FSDP (ZeRO-3) over a communicator's ranks: parameters, gradients and
// optimizer state sharded, block groups gathered as they run
// (sharded_model.h); each rank trains its slice of the global batch. Over
// one device (no communicator) it is the single-device technique.
// Checkpoints are gathered into the single-device format and sharded again
// on load. ShardedTechnique is shared with spilling (spill.h).
#pragma once

#include <memory>

#include "train/sharded_model.h"
#include "train/techniques/technique.h"

namespace saturn::train {

std::unique_ptr<TechniqueImpl> make_fsdp(const TechniqueSetup& t);

// Trains through a ShardedModel built with `o` (FSDP with o.comm, spilling
// without).
std::unique_ptr<TechniqueImpl> make_sharded(const TechniqueSetup& t, const ShardOptions& o);

}  // namespace saturn::train
