#include "train/techniques/fused.h"

#include <map>

#include "core/error.h"
#include "train/fused_model.h"
#include "train/fused_optim.h"
#include "train/lora_group.h"
#include "train/models/hf_weights.h"
#include "train/optim.h"
#include "train/optim_state.h"
#include "train/precision.h"

namespace saturn::train {
namespace {

// [K, ...]: the same tensor for each of the K models.
torch::Tensor for_each_model(const torch::Tensor& t, int64_t k) {
  auto shape = t.sizes().vec();
  shape.insert(shape.begin(), k);
  return t.unsqueeze(0).expand(shape).contiguous();
}

std::vector<int64_t> seeds_of(const std::vector<TrainJob>& jobs) {
  std::vector<int64_t> out;
  for (const auto& j : jobs) out.push_back(j.hp.seed);
  return out;
}

std::vector<Hyperparams> hps_of(const std::vector<TrainJob>& jobs) {
  std::vector<Hyperparams> out;
  for (const auto& j : jobs) out.push_back(j.hp);
  return out;
}

// K full models side by side: each job from its seed or its model folder
// (jobs of one shape may come from different folders, or from none).
FusedModel fused_model(const TechniqueSetup& t) {
  const auto& jobs = *t.jobs;
  FusedModel model(jobs.front().arch, jobs.front().config, seeds_of(jobs), t.device);
  std::map<std::string, BlockModel> pretrained;
  for (int64_t k = 0; k < model.k(); ++k) {
    const std::string& dir = jobs[static_cast<size_t>(k)].from_dir;
    if (dir.empty()) continue;
    auto it = pretrained.find(dir);
    if (it == pretrained.end()) {
      it = pretrained.emplace(dir, model.plain()).first;
      load_pretrained(jobs.front().arch, it->second, dir);
    }
    model.load(k, it->second);
  }
  return model;
}

// Trains a fused group through its Model: FusedModel (K full models) or
// LoraGroup (K adapter sets on one shared base). Each job's checkpoint goes
// through a plain model and a plain optimizer: the single-job format.
template <class Model>
class Fused final : public TechniqueImpl {
 public:
  Fused(const TechniqueSetup& t, Model model)
      : t_(t),
        jobs_(*t.jobs),
        k_(static_cast<int64_t>(jobs_.size())),
        model_(std::move(model)),
        opt_(model_.trainable(), jobs_.front().train.optimizer, hps_of(jobs_)),
        plain_(model_.plain()) {
    const TrainJob& first = jobs_.front();
    micro_ = first.micro_batch > 0 ? first.micro_batch : first.hp.batch_size;
    // Parameter i of the optimizer is params[train_index_[i]].
    const auto& params = model_.params();
    for (size_t i = 0; i < params.size(); ++i)
      if (params[i].requires_grad()) train_index_.push_back(i);
    plain_->to(t.device);
    plain_params_ = trainable(*plain_);
  }

  void set_lr(const std::vector<double>& lr) override { opt_.set_lr(lr); }

  torch::Tensor train_step(const Samples& s, const std::vector<bool>& active) override {
    clear_grads(model_.params());
    auto mask = torch::zeros({k_}, torch::TensorOptions().device(t_.device));
    for (int64_t j = 0; j < k_; ++j)
      if (active[static_cast<size_t>(j)]) mask[j] = 1.0;
    auto sum = torch::zeros({k_}, torch::TensorOptions().dtype(torch::kDouble).device(t_.device));
    // Each model's batch total of trained targets (each may draw its own samples).
    std::vector<int64_t> total;
    for (size_t j = 0; j < jobs_.size(); ++j) total.push_back(s.trained(j, 0, s.count));
    for (int64_t p = 0; p < s.count; p += micro_) {
      const int64_t n = std::min(p + micro_, s.count) - p;
      std::vector<torch::Tensor> ins, tgs;
      std::vector<double> share;
      bool masked = false;
      for (size_t j = 0; j < jobs_.size(); ++j) {
        std::vector<int64_t> idx;
        for (int64_t q = p; q < p + n; ++q) idx.push_back(s.index(j, q));
        Batch b = s.data->batch(idx);
        ins.push_back(b.input);
        tgs.push_back(b.target);
        const int64_t trained = s.data->trained_targets(idx);
        masked = masked || trained != n * s.data->tokens_per_sample();
        share.push_back(total[j] > 0 ? static_cast<double>(trained) / static_cast<double>(total[j]) : 0.0);
      }
      torch::Tensor losses;
      {
        AutocastScope autocast(t_.device, t_.bf16);
        auto out = model_.forward(torch::stack(ins).to(t_.device, /*non_blocking=*/true));
        losses = FusedModel::losses(out, torch::stack(tgs).to(t_.device, /*non_blocking=*/true), masked);
        losses = masked ? losses * torch::tensor(share, torch::TensorOptions().dtype(torch::kDouble)).to(t_.device, losses.dtype())
                        : losses * (static_cast<double>(n) / static_cast<double>(s.count));
      }
      (losses * mask).sum().backward();
      sum += losses.detach().to(torch::kDouble);
    }
    return sum;
  }

  // Each model's own global norm.
  void clip(double max_norm) override {
    torch::NoGradGuard g;
    auto sq = torch::zeros({k_}, torch::TensorOptions().dtype(torch::kDouble).device(t_.device));
    for (const auto& p : model_.params())
      if (p.grad().defined()) sq += p.grad().to(torch::kDouble).pow(2).reshape({k_, -1}).sum(1);
    auto coef = (max_norm / (sq.sqrt() + 1e-6)).clamp_max(1.0);
    for (auto p : model_.params())
      if (p.grad().defined()) {
        std::vector<int64_t> shape(static_cast<size_t>(p.dim()), 1);
        shape[0] = k_;
        p.mutable_grad().mul_(coef.to(p.grad().dtype()).view(shape));
      }
  }

  void update(const std::vector<bool>& active) override { opt_.step(active); }

  // Every model sees the same held-out samples.
  torch::Tensor eval_sum(const Samples& s) override {
    torch::NoGradGuard no_grad;
    model_.train(false);
    auto sum = torch::zeros({k_}, torch::TensorOptions().dtype(torch::kDouble).device(t_.device));
    for (int64_t p = 0; p < s.count; p += micro_) {
      std::vector<int64_t> idx;
      for (int64_t q = p; q < std::min(p + micro_, s.count); ++q) idx.push_back(s.index(0, q));
      const int64_t trained = s.data->trained_targets(idx);
      if (trained == 0) continue;
      const bool masked = trained != static_cast<int64_t>(idx.size()) * s.data->tokens_per_sample();
      Batch b = s.data->batch(idx);
      AutocastScope autocast(t_.device, t_.bf16);
      sum += FusedModel::losses(model_.forward(for_each_model(b.input.to(t_.device), k_)),
                                for_each_model(b.target.to(t_.device), k_), masked)
                 .to(torch::kDouble) *
             (static_cast<double>(trained) / static_cast<double>(s.data->tokens_per_sample()));
    }
    model_.train(true);
    return sum;
  }

  // Through the plain model and a plain optimizer: the single-job format.
  std::optional<nlohmann::json> load(size_t j, Checkpointer& ckpt,
                                     const std::function<void(const std::string&)>& warn) override {
    auto plain_opt = make_optimizer(plain_params_, jobs_[j].train.optimizer, jobs_[j].hp);
    auto manifest = ckpt.load_latest(plain_, *plain_opt, warn);
    if (manifest) {
      model_.load(static_cast<int64_t>(j), plain_);
      for (size_t i = 0; i < train_index_.size(); ++i)
        opt_.set_state(i, static_cast<int64_t>(j), state_of(*plain_opt, plain_params_[i]));
    }
    return manifest;
  }

  void save(size_t j, Checkpointer& ckpt, int64_t step, const nlohmann::json& meta) override {
    model_.extract(static_cast<int64_t>(j), plain_);
    auto plain_opt = make_optimizer(plain_params_, jobs_[j].train.optimizer, jobs_[j].hp);
    for (size_t i = 0; i < train_index_.size(); ++i)
      set_state(*plain_opt, plain_params_[i], opt_.state(i, static_cast<int64_t>(j)));
    ckpt.save(step, plain_, *plain_opt, meta);
  }

  int64_t fused_width() const override { return k_; }

 private:
  TechniqueSetup t_;
  const std::vector<TrainJob>& jobs_;
  int64_t k_;
  Model model_;
  FusedOptimizer opt_;
  BlockModel plain_;
  std::vector<torch::Tensor> plain_params_;
  std::vector<size_t> train_index_;
  int64_t micro_ = 1;
};

}  // namespace

std::unique_ptr<TechniqueImpl> make_fused(const TechniqueSetup& t) {
  if (t.comm) throw usage_error("--technique fused: takes one device, got " + std::to_string(t.comm->world()));
  if (t.jobs->front().finetune.lora_on()) return std::make_unique<Fused<LoraGroup>>(t, LoraGroup(*t.jobs, t.device));
  return std::make_unique<Fused<FusedModel>>(t, fused_model(t));
}

}  // namespace saturn::train
