#include "train/models/lora.h"

#include <set>

#include "core/error.h"
#include "train/models/dense.h"

namespace saturn::train {
namespace {

// saturn's module names for a target: GPT-2's Conv1D names map onto the
// gpt blocks' own (c_attn: qkv, c_proj: proj and fc_proj, c_fc: fc).
std::set<std::string> module_names(Arch arch, const std::vector<std::string>& targets) {
  std::set<std::string> out;
  for (const auto& t : targets) {
    if (arch != Arch::Gpt) out.insert(t);
    else if (t == "c_attn") out.insert("qkv");
    else if (t == "c_proj") out.insert({"proj", "fc_proj"});
    else if (t == "c_fc") out.insert("fc");
  }
  return out;
}

std::string leaf(const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

}  // namespace

void apply_lora(Arch arch, BlockModel& model, const FinetuneSpec& spec) {
  if (!spec.lora_on()) return;
  if (!lora_supported(arch)) throw data_error(std::string("method lora: arch ") + arch_name(arch) + " has no projections to adapt");
  const auto wanted = module_names(arch, spec.lora.targets);
  for (auto& p : model->parameters()) p.requires_grad_(false);
  std::set<std::string> found;
  torch::NoGradGuard g;
  for (size_t b = 0; b < model->size(); ++b)
    for (const auto& item : model->block(b).ptr()->named_modules("", /*include_self=*/false)) {
      auto* dense = dynamic_cast<DenseImpl*>(item.value().get());
      const std::string name = leaf(item.key());
      if (!dense || !wanted.count(name) || dense->lora_A.defined()) continue;
      dense->add_lora(spec.lora.rank, spec.lora.alpha, spec.lora.dropout);
      dense->lora_A.requires_grad_(true);
      dense->lora_B.requires_grad_(true);
      found.insert(name);
    }
  for (const auto& w : wanted)
    if (!found.count(w)) throw data_error("method lora: no " + w + " projection in this " + arch_name(arch) + " model");
  if (spec.lora.train_embeddings) {
    auto* embed = model->block(0).ptr().get();
    for (auto& p : embed->named_parameters(/*recurse=*/true))
      if (p.key() == "tok.weight" || p.key() == "embed_tokens.weight") p.value().requires_grad_(true);
  }
}

}  // namespace saturn::train
