// Export: a trained job as a Hugging Face model folder that transformers
// loads as it is: config.json (the model folder's own, or one written from
// the saturn config: gpt as GPT2LMHeadModel, llama as LlamaForCausalLM or,
// with q/k/v biases, Qwen2ForCausalLM), model.safetensors (float32, under
// transformers' names, a tied head stored once), the tokenizer files it was
// trained with (tokenizer.json and, beside it, tokenizer_config.json and
// special_tokens_map.json) and the folder's generation_config.json. The
// weights are the newest complete checkpoint's. The folder is written under
// a temporary name and renamed into place: it is whole or absent.
#pragma once

#include <cstdint>
#include <string>

#include "core/arch.h"
#include "core/value.h"

namespace saturn::train {

struct ExportSource {
  Arch arch = Arch::Llama;
  Config config;
  std::string from_dir;    // the model folder the job started from ("": none)
  std::string tokenizer;   // the tokenizer.json it trained with ("": none)
  std::string job_dir;     // RUN/jobs/JOB: its checkpoints
};

struct Exported {
  int64_t step = 0;        // the checkpoint's
  int64_t parameters = 0;  // elements written
};

// Throws saturn::Error: Data when the job has no complete checkpoint or its
// arch has no Hugging Face form (a gpt without biases), Usage when `out`
// exists and is not empty, NoInput when it cannot be written.
Exported export_hf(const ExportSource& s, const std::string& out);

}  // namespace saturn::train
