#include "train/techniques/fsdp.h"

#include "train/optim.h"
#include "train/techniques/replicated.h"

namespace saturn::train {
namespace {

class ShardedTechnique final : public TechniqueImpl {
 public:
  ShardedTechnique(const TechniqueSetup& t, const ShardOptions& o)
      : t_(t), job_(t.jobs->front()), model_(build_job_model(t)) {
    // The optimizer owns the shards (FSDP) or the host copies (spill); the
    // module's parameters hold storage only while their block group runs.
    sharded_ = std::make_unique<ShardedModel>(model_, o);
    params_ = sharded_->shards();
    opt_ = make_opt(params_);
    const auto [lo, hi] = rank_slice(job_.hp.batch_size, t.comm);
    micro_ = job_.micro_batch > 0 ? job_.micro_batch : hi - lo;
  }

  void set_lr(const std::vector<double>& lr) override { train::set_lr(*opt_, lr.at(0)); }

  torch::Tensor train_step(const Samples& s, const std::vector<bool>&) override {
    for (auto& p : params_) p.mutable_grad() = torch::Tensor();
    const auto [lo, hi] = rank_slice(s.count, t_.comm);
    // Gradients are reduce-scattered onto the shards as backward runs.
    return train_slice(
        t_, s, lo, hi, micro_, [&](const torch::Tensor& x) { return sharded_->forward(x); },
        [&] { sharded_->finish_backward(); });
  }

  void clip(double max_norm) override { sharded_->clip_grad_norm(max_norm); }
  void update(const std::vector<bool>&) override { opt_->step(); }

  torch::Tensor eval_sum(const Samples& s) override {
    torch::NoGradGuard no_grad;
    model_->eval();
    const auto [lo, hi] = rank_slice(s.count, t_.comm);
    auto sum = eval_slice(t_, s, lo, hi, micro_, [&](const torch::Tensor& x) { return sharded_->forward(x); });
    model_->train();
    return sum;
  }

  // The single-device format is loaded into full tensors, then sharded.
  std::optional<nlohmann::json> load(size_t, Checkpointer& ckpt,
                                     const std::function<void(const std::string&)>& warn) override {
    sharded_->materialise();
    auto full = make_opt(trainable(*model_));
    auto manifest = ckpt.load_latest(model_, *full, warn);
    if (manifest) sharded_->load_full(*full, *opt_);
    else sharded_->release();
    return manifest;
  }

  // Every rank gathers; rank 0 writes the single-device format.
  void save(size_t, Checkpointer& ckpt, int64_t step, const nlohmann::json& meta) override {
    auto full = sharded_->gather_full(*opt_, [&](const std::vector<torch::Tensor>& ps) { return make_opt(ps); });
    if (!t_.comm || t_.comm->rank() == 0) ckpt.save(step, model_, *full, meta);
    sharded_->release();
  }

 private:
  std::unique_ptr<torch::optim::Optimizer> make_opt(const std::vector<torch::Tensor>& ps) const {
    return make_optimizer(ps, job_.train.optimizer, job_.hp);
  }

  TechniqueSetup t_;
  const TrainJob& job_;
  BlockModel model_;
  std::unique_ptr<ShardedModel> sharded_;
  std::vector<torch::Tensor> params_;  // the shards
  std::unique_ptr<torch::optim::Optimizer> opt_;
  int64_t micro_ = 1;
};

}  // namespace

std::unique_ptr<TechniqueImpl> make_sharded(const TechniqueSetup& t, const ShardOptions& o) {
  return std::make_unique<ShardedTechnique>(t, o);
}

std::unique_ptr<TechniqueImpl> make_fsdp(const TechniqueSetup& t) {
  if (!t.comm) return make_replicated(t);
  const TrainJob& job = t.jobs->front();
  ShardOptions o;
  o.comm = t.comm;
  o.group_blocks = job.group_blocks;
  o.recompute = job.recompute;
  o.offload = job.offload;
  return make_sharded(t, o);
}

}  // namespace saturn::train
