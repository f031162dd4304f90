// FinetuneSpec: what of a model a job trains. `full`: every weight. `lora`:
// low-rank adapters on chosen projections, with Hugging Face PEFT's
// meanings (y = W x + (alpha / rank) B A dropout(x); A [rank, in] drawn as
// nn.Linear draws its weight, B [out, rank] zeros), the base frozen; the
// token embedding trains too with `train_embeddings`. Its keys are also
// grid axes ("lora.rank"); the table gives each its type and bounds. Plain
// value types; static tables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <optional>

#include "arch.h"
#include "technique.h"
#include "value.h"

namespace saturn {

enum class FinetuneMethod { Full, Lora };
const char* finetune_method_name(FinetuneMethod m);  // "full", "lora"

struct LoraSpec {
  int64_t rank = 8;
  double alpha = 8;                  // scaling alpha / rank
  double dropout = 0;                // on the adapter's input, in training
  std::vector<std::string> targets;  // projection names (Hugging Face's); empty = lora_default_targets
  bool train_embeddings = false;     // the token embedding (and a head tied to it) trains in full

  bool operator==(const LoraSpec&) const = default;
};

struct FinetuneSpec {
  FinetuneMethod method = FinetuneMethod::Full;
  LoraSpec lora;

  bool lora_on() const { return method == FinetuneMethod::Lora; }
  bool operator==(const FinetuneSpec&) const = default;
};

// The architectures LoRA applies to (gpt, llama), their projection names
// and the default targets: llama q_proj k_proj v_proj o_proj gate_proj
// up_proj down_proj; gpt (GPT-2's names) c_attn c_proj c_fc.
bool lora_supported(Arch a);
const std::vector<std::string>& lora_target_names(Arch a);
const std::vector<std::string>& lora_default_targets(Arch a);
// `s` with the default targets filled in for `a` when it names none.
FinetuneSpec with_default_targets(FinetuneSpec s, Arch a);

// Why a job of arch `a` fine-tuned as `s` cannot train under `t`, or
// nullopt: arch_refuses's reasons, and fused LoRA jobs that train their
// embedding (a fused LoRA group shares one frozen base, embedding included).
std::optional<std::string> job_refuses(Arch a, const FinetuneSpec& s, Technique t);

// A job as a fused group sees it: LoRA jobs fused share one frozen base.
struct FusedMember {
  std::string id;
  FinetuneSpec finetune;
  int64_t seed = 0;
  std::string from;  // the pretrained folder; empty: a random base drawn from `seed`
};
// Why `b` cannot join `a`'s fused group (b is not LoRA while a is, or the
// other way; another base folder, or another seed of a random base; another
// rank or targets), or nullopt. Full fine-tuning jobs always can.
std::optional<std::string> fused_unshared(const FusedMember& a, const FusedMember& b);

// Grid axes over a LoRA spec: "lora.rank", "lora.alpha", "lora.dropout".
struct FinetuneKey {
  std::string key;     // grid key
  std::string abbrev;  // in job ids: "r", "alpha", "ldrop"
  ValueType type;
  double min, max;
  bool min_open, max_open;
  const char* doc;
};
const std::vector<FinetuneKey>& finetune_keys();
const FinetuneKey* find_finetune_key(const std::string& key);
void set_finetune_key(FinetuneSpec& s, const std::string& key, const Value& v);

// Canonical text for hashing: all of it (a job), or what changes a step's
// cost (a shape: method, rank, targets, whether dropout is on, embeddings).
// Empty for full fine-tuning, so full jobs hash as before LoRA existed.
std::string canonical(const FinetuneSpec& s);
std::string shape_canonical(const FinetuneSpec& s);

}  // namespace saturn
