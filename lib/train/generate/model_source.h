// The model a generation runs: a Hugging Face model folder (config.json and
// its safetensors weights; an exported job, or one downloaded), a PEFT LoRA
// adapter folder (adapter_config.json and adapter_model.safetensors, on the
// folder its base_model_name_or_path names, or `base` when given), or a
// trained job's newest complete checkpoint (trained_job.h). Each comes with
// the folder whose tokenizer files go with it.
#pragma once

#include <string>

#include "core/arch.h"
#include "core/value.h"
#include "train/models/block_model.h"

namespace saturn::train {

struct LoadedModel {
  Arch arch = Arch::Llama;
  Config config;
  BlockModel model{nullptr};
  std::string tokenizer_dir;  // where tokenizer.json (and tokenizer_config.json) lie; "" for none
  std::string generation_dir; // where generation_config.json would lie
  int64_t step = 0;           // a checkpoint's step (0 for a folder)
};

// Throws saturn::Error: NoInput when the folder or its files are missing,
// Data for a config or adapter configuration saturn cannot run (another
// model type, rsLoRA, DoRA, target patterns), a tensor that does not fit.
LoadedModel load_model_folder(const std::string& dir, const std::string& base = "");

}  // namespace saturn::train
