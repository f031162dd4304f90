// Pipeline parallelism over a communicator's ranks (train/pipeline.h): the
// blocks cut into one stage per rank, balanced by block times rank 0
// measures on one micro-batch; the global batch split into micro-batches
// (the job's micro_batches, else 2 x stages, at most the batch) that every
// stage sees, scheduled 1F1B (or GPipe). Over one device it is the
// single-device technique. Checkpoints are gathered into the single-device
// format and split again on load.
#pragma once

#include <memory>

#include "train/techniques/technique.h"

namespace saturn::train {

std::unique_ptr<TechniqueImpl> make_pipeline(const TechniqueSetup& t);

}  // namespace saturn::train
