// A trained job: what rebuilds its model (trained_model.h) for export
// (hf_export.h) and generation (generate/). Torch-free, so commands can
// name one without LibTorch's headers.
#pragma once

#include <cstdint>
#include <string>

#include "core/arch.h"
#include "core/finetune.h"
#include "core/value.h"

namespace saturn::train {

struct TrainedJob {
  Arch arch = Arch::Llama;
  Config config;
  std::string from_dir;    // the model folder the job started from ("": none)
  std::string tokenizer;   // the tokenizer.json it trained with ("": none)
  std::string job_dir;     // RUN/jobs/JOB: its checkpoints
  FinetuneSpec finetune;   // what the job trained
  int64_t seed = 0;        // its seed: a base without a folder is drawn from it again
};

}  // namespace saturn::train
