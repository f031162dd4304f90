#include "train/trained_model.h"

#include <torch/torch.h>

#include "core/error.h"
#include "core/run_files.h"
#include "train/checkpoint.h"
#include "train/models/build.h"
#include "train/models/hf_weights.h"
#include "train/models/lora.h"

namespace saturn::train {

BlockModel build_trained(const TrainedJob& j) {
  const bool lora = j.finetune.lora_on();
  torch::manual_seed(j.seed);
  BlockModel model = build_model(j.arch, j.config, "", /*init=*/lora && j.from_dir.empty());
  if (lora && !j.from_dir.empty()) load_pretrained(j.arch, model, j.from_dir);
  apply_lora(j.arch, model, j.finetune);
  return model;
}

BlockModel load_trained(const TrainedJob& j, int64_t* step) {
  BlockModel model = build_trained(j);
  Checkpointer ckpt(run_files::checkpoint_dir(j.job_dir));
  std::string skipped;
  const auto manifest = ckpt.load_weights(model, [&](const std::string& w) { skipped += "; " + w; });
  if (!manifest)
    throw data_error(j.job_dir + ": no complete checkpoint" + (skipped.empty() ? " (has it trained?)" : skipped));
  if (step) *step = manifest->value("step", int64_t(0));
  return model;
}

}  // namespace saturn::train
