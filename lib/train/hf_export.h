// Export: a trained job as a Hugging Face model folder that transformers
// loads as it is: config.json (the model folder's own, or one written from
// the saturn config: gpt as GPT2LMHeadModel, llama as LlamaForCausalLM or,
// with q/k/v biases, Qwen2ForCausalLM; its torch_dtype and dtype the
// weights'), model.safetensors (in the export dtype, under transformers'
// names, a tied head stored once), the tokenizer files it was
// trained with (tokenizer.json and, beside it, tokenizer_config.json,
// special_tokens_map.json and chat_template.jinja) and the folder's
// generation_config.json. The
// weights are the newest complete checkpoint's. The folder is written under
// a temporary name and renamed into place: it is whole or absent.
//
// A LoRA job exports its adapters in PEFT's layout (adapter_config.json,
// adapter_model.safetensors: peft.PeftModel.from_pretrained loads them onto
// the base folder), or with `merge` the whole model with each adapter
// folded into its weight (W + alpha / rank B A), as merge_and_unload does.
// Adapters are float32 whatever the base's dtype, as PEFT keeps and saves
// them (autocast_adapter_dtype); a saved embedding is in the export dtype.
#pragma once

#include <cstdint>
#include <string>

#include "train/trained_job.h"

namespace saturn::train {

struct ExportSource : TrainedJob {
  bool merge = false;      // LoRA: the merged full model instead of the adapters
  std::string dtype = "auto";  // auto | bf16 | fp16 | fp32 (export_dtype)
};

struct Exported {
  int64_t step = 0;        // the checkpoint's
  int64_t parameters = 0;  // elements written
  bool adapters = false;   // a PEFT adapter folder (else a full model)
  std::string dtype;       // the full model's weights: "float32", "bfloat16" or "float16"
};

// The dtype a full model is written in, as config.json names it: `asked`
// bf16, fp16 or fp32; auto: the base folder's config.json (its text, "" for
// none) torch_dtype, or dtype as newer transformers write it, when it is
// one of those three, else float32. Throws saturn::Error (Usage) for
// another `asked`.
std::string export_dtype(const std::string& asked, const std::string& base_config);

// Throws saturn::Error: Data when the job has no complete checkpoint or its
// arch has no Hugging Face form (a gpt without biases), or LoRA adapters
// without a base folder are asked for (no `from`: only merge), Usage when
// `out` exists and is not empty or merge is asked of a full job, NoInput
// when it cannot be written.
Exported export_hf(const ExportSource& s, const std::string& out);

}  // namespace saturn::train
