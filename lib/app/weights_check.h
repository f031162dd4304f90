// Pretrained weights checked before any work: for each model `from` a
// Hugging Face folder, every weight file is opened and its header checked
// (core/safetensors.h: a missing file is NoInput, a truncated or damaged
// one Data, naming the file and the tensor), and the parameters the files
// hold are counted against what the folder's config.json implies
// (profile/model_cost.h counts them as transformers does): a tensor of
// another shape, or one missing, is one Data line with both counts. Reads
// headers only (the files are mapped, not loaded). Plain function.
//
// `train_here`: the weights must be here (a run or a profile that trains);
// otherwise (validate, plan, a dry run or an sbatch script: planning for
// another machine, where a folder of config.json alone is enough) a folder
// without weight files is a warning line, returned.
#pragma once

#include <string>
#include <vector>

#include "core/workload.h"

namespace saturn {

std::vector<std::string> check_pretrained_weights(const Workload& w, bool train_here);

}  // namespace saturn
