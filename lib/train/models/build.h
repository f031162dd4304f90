// Builds the BlockModel of a workload model at one grid point.
#pragma once

#include "core/model_spec.h"
#include "core/value.h"
#include "train/models/block_model.h"

namespace saturn::train {

// `config` is the job's config (the model's, with the grid point applied);
// `module_path` the resolved path of a torchscript module. Seeds nothing:
// the caller seeds torch before building for reproducible initialisation.
// Without `init`, gpt and llama weights are allocated and left unwritten,
// for weights about to be loaded (pretrained ones, a checkpoint's).
BlockModel build_model(Arch arch, const Config& config, const std::string& module_path, bool init = true);

}  // namespace saturn::train
