#include "train/lora_group.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "core/finetune.h"
#include "train/models/build.h"
#include "train/models/dense.h"
#include "train/models/hf_weights.h"
#include "train/models/lora.h"

namespace saturn::train {
namespace {

// The adapted projections of a model, in the order apply_lora draws them.
std::vector<DenseImpl*> adapted(BlockModel& m) {
  std::vector<DenseImpl*> out;
  for (size_t b = 0; b < m->size(); ++b)
    for (const auto& item : m->block(b).ptr()->named_modules("", /*include_self=*/false))
      if (auto* d = dynamic_cast<DenseImpl*>(item.value().get());
          d && d->lora_A.defined() && std::find(out.begin(), out.end(), d) == out.end())
        out.push_back(d);
  return out;
}

std::vector<torch::Tensor> trainable_of(BlockModel& m) {
  std::vector<torch::Tensor> out;
  for (auto& p : m->parameters())
    if (p.requires_grad()) out.push_back(p);
  return out;
}

FusedMember member(const TrainJob& j) { return {j.id, j.finetune, j.hp.seed, j.from_dir}; }

// Why `jobs` cannot share one base, or "" when they can.
std::string unshared(const std::vector<TrainJob>& jobs) {
  for (const auto& b : jobs) {
    if (!b.finetune.lora_on()) return b.id + " is not a LoRA job; a fused LoRA group is LoRA jobs only";
    if (b.finetune.lora.train_embeddings)
      return b.id + ": LoRA jobs with train_embeddings are not fused (each trains its own embedding)";
    if (auto why = fused_unshared(member(jobs.front()), member(b))) return *why;
  }
  return "";
}

}  // namespace

LoraGroup::LoraGroup(const std::vector<TrainJob>& jobs, const torch::Device& device)
    : first_(jobs.front()), k_(static_cast<int64_t>(jobs.size())) {
  if (auto why = unshared(jobs); !why.empty()) throw usage_error("--technique fused: " + why);
  // The base and job 0's adapters, as job 0's unfused model (build_job_model).
  torch::manual_seed(first_.hp.seed);
  base_ = build_model(first_.arch, first_.config, "", /*init=*/first_.from_dir.empty());
  if (!first_.from_dir.empty()) load_pretrained(first_.arch, base_, first_.from_dir);
  apply_lora(first_.arch, base_, first_.finetune);
  const auto dense = adapted(base_);
  // Every other job's A: drawn after manual_seed(its seed) in projection
  // order, as apply_lora draws them (a folder's model draws nothing before;
  // jobs of a random base share its seed, so their A are job 0's).
  std::map<int64_t, std::vector<torch::Tensor>> drawn;
  for (DenseImpl* d : dense) drawn[first_.hp.seed].push_back(d->lora_A.detach().clone());
  for (const auto& job : jobs) {
    if (drawn.count(job.hp.seed)) continue;
    torch::manual_seed(job.hp.seed);
    auto& as = drawn[job.hp.seed];
    for (DenseImpl* d : dense) as.push_back(DenseImpl::draw_lora_A(d->lora_A.size(0), d->lora_A.size(1), d->lora_A.options()));
  }
  base_->to(device);
  base_->train();
  std::vector<double> scales, dropouts;
  for (const auto& job : jobs) {
    scales.push_back(job.finetune.lora.alpha / static_cast<double>(job.finetune.lora.rank));
    dropouts.push_back(job.finetune.lora.dropout);
  }
  for (size_t i = 0; i < dense.size(); ++i) {
    std::vector<torch::Tensor> as;
    for (const auto& job : jobs) as.push_back(drawn[job.hp.seed][i]);
    const auto& b = dense[i]->lora_B;
    dense[i]->set_lora_sets(torch::stack(as).to(device), torch::zeros({k_, b.size(0), b.size(1)}, b.options().device(device)),
                            scales, dropouts);
  }
  for (auto& p : base_->parameters())
    if (p.requires_grad()) params_.push_back(p);
}

torch::Tensor LoraGroup::forward(const torch::Tensor& x) {
  if (x.size(0) != k_) throw internal_error("fused LoRA: input has " + std::to_string(x.size(0)) + " models, expected " + std::to_string(k_));
  auto sizes = x.sizes().vec();
  torch::Tensor y = base_->forward(x.flatten(0, 1));
  auto out = y.sizes().vec();
  out[0] = sizes[1];
  out.insert(out.begin(), k_);
  return y.view(out);
}

BlockModel LoraGroup::plain() const {
  BlockModel m = build_model(first_.arch, first_.config, "", /*init=*/false);
  apply_lora(first_.arch, m, first_.finetune);
  torch::NoGradGuard g;
  for (auto& p : m->parameters())
    if (!p.requires_grad()) p.set_data(torch::empty({0}, p.options()));
  return m;
}

void LoraGroup::extract(int64_t k, BlockModel& into) const {
  torch::NoGradGuard g;
  const auto plain = trainable_of(into);
  if (plain.size() != params_.size()) throw internal_error("fused LoRA: adapter count differs");
  for (size_t i = 0; i < params_.size(); ++i) plain[i].copy_(params_[i][k]);
}

void LoraGroup::load(int64_t k, BlockModel& from) {
  torch::NoGradGuard g;
  const auto plain = trainable_of(from);
  if (plain.size() != params_.size()) throw internal_error("fused LoRA: adapter count differs");
  for (size_t i = 0; i < params_.size(); ++i) params_[i][k].copy_(plain[i]);
}

int64_t LoraGroup::base_bytes() const {
  int64_t n = 0;
  for (auto& p : base_->parameters())
    if (!p.requires_grad()) n += p.numel() * static_cast<int64_t>(p.element_size());
  return n;
}

int64_t LoraGroup::adapter_bytes() const {
  int64_t n = 0;
  for (const auto& p : params_) n += p.numel() * static_cast<int64_t>(p.element_size());
  return n;
}

}  // namespace saturn::train
