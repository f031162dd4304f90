// A trained job's model: built as in training (a LoRA job's frozen base from
// its folder, or drawn again from its seed; the adapters added) with the
// weights of its newest complete checkpoint.
#pragma once

#include <cstdint>

#include "train/models/block_model.h"
#include "train/trained_job.h"

namespace saturn::train {

// The model, and the checkpoint's step in *step. Throws saturn::Error
// (Data) when the job has no complete checkpoint.
BlockModel load_trained(const TrainedJob& j, int64_t* step);

// The job's model as training builds it, before any checkpoint's weights
// (a LoRA job's base loaded or drawn from its seed: torch's CPU generator
// is seeded, as load_trained does).
BlockModel build_trained(const TrainedJob& j);

}  // namespace saturn::train
