// LoRA on a built gpt or llama model: adapters on the projections a
// FinetuneSpec targets (Hugging Face's names: llama's q_proj ... down_proj,
// GPT-2's c_attn, c_proj (attention's and the MLP's), c_fc), every other
// parameter frozen but the token embedding with train_embeddings. Adapters
// are drawn from torch's generator in block order (seed it first).
#pragma once

#include "core/finetune.h"
#include "train/models/block_model.h"

namespace saturn::train {

// Does nothing for full fine-tuning. Throws saturn::Error (Data) for an
// arch without projections to adapt or a target no module has.
void apply_lora(Arch arch, BlockModel& model, const FinetuneSpec& spec);

}  // namespace saturn::train
