// Export: a trained job as a Hugging Face model folder that transformers
// loads as it is: config.json (the model folder's own, or one written from
// the saturn config: gpt as GPT2LMHeadModel, llama as LlamaForCausalLM or,
// with q/k/v biases, Qwen2ForCausalLM), model.safetensors (float32, under
// transformers' names, a tied head stored once), the tokenizer files it was
// trained with (tokenizer.json and, beside it, tokenizer_config.json and
// special_tokens_map.json) and the folder's generation_config.json. The
// weights are the newest complete checkpoint's. The folder is written under
// a temporary name and renamed into place: it is whole or absent.
//
// A LoRA job exports its adapters in PEFT's layout (adapter_config.json,
// adapter_model.safetensors: peft.PeftModel.from_pretrained loads them onto
// the base folder), or with `merge` the whole model with each adapter
// folded into its weight (W + alpha / rank B A), as merge_and_unload does.
#pragma once

#include <cstdint>
#include <string>

#include "core/arch.h"
#include "core/finetune.h"
#include "core/value.h"

namespace saturn::train {

struct ExportSource {
  Arch arch = Arch::Llama;
  Config config;
  std::string from_dir;    // the model folder the job started from ("": none)
  std::string tokenizer;   // the tokenizer.json it trained with ("": none)
  std::string job_dir;     // RUN/jobs/JOB: its checkpoints
  FinetuneSpec finetune;   // what the job trained
  int64_t seed = 0;        // its seed: a base without a folder is drawn from it again
  bool merge = false;      // LoRA: the merged full model instead of the adapters
};

struct Exported {
  int64_t step = 0;        // the checkpoint's
  int64_t parameters = 0;  // elements written
  bool adapters = false;   // a PEFT adapter folder (else a full model)
};

// Throws saturn::Error: Data when the job has no complete checkpoint or its
// arch has no Hugging Face form (a gpt without biases), or LoRA adapters
// without a base folder are asked for (no `from`: only merge), Usage when
// `out` exists and is not empty or merge is asked of a full job, NoInput
// when it cannot be written.
Exported export_hf(const ExportSource& s, const std::string& out);

}  // namespace saturn::train
