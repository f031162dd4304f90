// Hugging Face weights: the parameters of a saturn model under the names
// transformers saves them with (llama: model.embed_tokens.weight,
// model.layers.N.self_attn.q_proj.weight, ..., model.norm.weight,
// lm_head.weight; gpt: transformer.wte.weight, transformer.wpe.weight,
// transformer.h.N.attn.c_attn.weight, ..., transformer.ln_f.weight), and
// loading them from safetensors files into the model. A tied head has no
// lm_head.weight of its own. GPT-2's Conv1D weights are [in, out]: their
// entries are transposed views of saturn's Linear weights.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "core/model_spec.h"
#include "core/safetensors.h"
#include "train/models/block_model.h"

namespace saturn::train {

// Hugging Face name -> the model's parameter (shared storage), every
// tensor of `model` once but LoRA adapters. Throws saturn::Error (Unavailable) for
// an arch without a Hugging Face layout (gpt and llama have one).
std::map<std::string, torch::Tensor> hf_parameters(Arch arch, BlockModel& model);

// PEFT's name -> a LoRA adapter of the model (shared storage), as
// adapter_model.safetensors stores them:
// "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight" (gpt:
// "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"). Empty
// without adapters.
std::map<std::string, torch::Tensor> peft_parameters(Arch arch, BlockModel& model);

// Copies every tensor of hf_parameters from `files` (a model's shards),
// converted to float32 (GPT2Model names without "transformer." too;
// rotary frequencies and GPT-2's mask buffers are skipped). A missing tensor, a shape that differs from the
// config's or a tensor no parameter takes is one Data error naming the file
// and the tensor. Reads one tensor at a time and drops its pages after.
void load_hf_weights(Arch arch, BlockModel& model, const std::vector<const SafetensorsFile*>& files);

// load_hf_weights from the weight files of a model folder (hf_weight_files).
void load_pretrained(Arch arch, BlockModel& model, const std::string& dir);

}  // namespace saturn::train
