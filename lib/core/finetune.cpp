#include "finetune.h"

#include "error.h"
#include "text.h"

namespace saturn {

const char* finetune_method_name(FinetuneMethod m) { return m == FinetuneMethod::Lora ? "lora" : "full"; }

bool lora_supported(Arch a) { return a == Arch::Gpt || a == Arch::Llama; }

const std::vector<std::string>& lora_target_names(Arch a) {
  static const std::vector<std::string> llama = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  static const std::vector<std::string> gpt = {"c_attn", "c_proj", "c_fc"};
  static const std::vector<std::string> none;
  return a == Arch::Llama ? llama : a == Arch::Gpt ? gpt : none;
}

const std::vector<std::string>& lora_default_targets(Arch a) { return lora_target_names(a); }

FinetuneSpec with_default_targets(FinetuneSpec s, Arch a) {
  if (s.lora_on() && s.lora.targets.empty()) s.lora.targets = lora_default_targets(a);
  return s;
}

std::optional<std::string> job_refuses(Arch a, const FinetuneSpec& s, Technique t) {
  if (auto why = arch_refuses(a, t)) return why;
  if (s.lora_on() && s.lora.train_embeddings && t == Technique::Fused)
    return std::string("LoRA jobs with train_embeddings are not fused (each trains its own embedding)");
  return std::nullopt;
}

std::optional<std::string> fused_unshared(const FusedMember& a, const FusedMember& b) {
  if (!a.finetune.lora_on() && !b.finetune.lora_on()) return std::nullopt;
  const std::string pair = b.id + " and " + a.id;
  if (a.finetune.lora_on() != b.finetune.lora_on())
    return pair + " fine-tune differently (LoRA and full); a fused group trains one way";
  if (b.from != a.from) return pair + " start from different folders; a fused LoRA group shares one base";
  if (b.from.empty() && b.seed != a.seed)
    return pair + " draw their random bases from different seeds; a fused LoRA group shares one base";
  if (b.finetune.lora.rank != a.finetune.lora.rank || b.finetune.lora.targets != a.finetune.lora.targets)
    return pair + " adapt with different ranks or targets; a fused LoRA group shares one shape";
  return std::nullopt;
}

const std::vector<FinetuneKey>& finetune_keys() {
  static const std::vector<FinetuneKey> keys = {
      {"lora.rank", "r", ValueType::Integer, 1, 1 << 16, false, false, "adapter rank"},
      {"lora.alpha", "alpha", ValueType::Real, 0, 1e6, true, false, "adapter scaling numerator (scale alpha / rank)"},
      {"lora.dropout", "ldrop", ValueType::Real, 0, 1, false, true, "dropout on the adapter input (below 1)"},
  };
  return keys;
}

const FinetuneKey* find_finetune_key(const std::string& key) {
  for (const auto& k : finetune_keys())
    if (k.key == key) return &k;
  return nullptr;
}

void set_finetune_key(FinetuneSpec& s, const std::string& key, const Value& v) {
  if (key == "lora.rank") s.lora.rank = std::get<int64_t>(v);
  else if (key == "lora.alpha") s.lora.alpha = value_number(v);
  else if (key == "lora.dropout") s.lora.dropout = value_number(v);
  else throw internal_error("unknown finetune key " + key);
}

std::string shape_canonical(const FinetuneSpec& s) {
  if (!s.lora_on()) return "";
  return "lora,rank=" + std::to_string(s.lora.rank) + ",targets=" + join(s.lora.targets, "+") +
         (s.lora.dropout > 0 ? ",dropout" : "") + (s.lora.train_embeddings ? ",embeddings" : "");
}

std::string canonical(const FinetuneSpec& s) {
  if (!s.lora_on()) return "";
  return shape_canonical(s) + ",alpha=" + value_text(s.lora.alpha) + ",p=" + value_text(s.lora.dropout);
}

}  // namespace saturn
