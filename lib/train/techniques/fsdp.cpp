#include "train/techniques/fsdp.h"

#include "train/optim.h"
#include "train/techniques/replicated.h"
#include "train/techniques/split_state.h"

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
    opt_ = make_opt_(params_);
    micro_ = share_micro_batch(t);
  }

  void set_lr(const std::vector<double>& lr) override { train::set_lr(*opt_, lr.at(0)); }

  torch::Tensor train_step(const Samples& s, const std::vector<bool>&) override {
    clear_grads(params_);
    // Gradients are reduce-scattered onto the shards as backward runs.
    return train_share(
        t_, s, micro_, [&](const torch::Tensor& x) { return sharded_->forward(x); }, [&] { sharded_->finish_backward(); });
  }

  void clip(double max_norm) override { sharded_->clip_grad_norm(max_norm); }
  void update(const std::vector<bool>&) override { opt_->step(); }

  torch::Tensor eval_sum(const Samples& s) override {
    return eval_share(t_, model_, s, micro_, [&](const torch::Tensor& x) { return sharded_->forward(x); });
  }

  // The single-device format is loaded into full tensors, then sharded.
  std::optional<nlohmann::json> load(size_t, Checkpointer& ckpt,
                                     const std::function<void(const std::string&)>& warn) override {
    return load_split(*sharded_, model_, *opt_, make_opt_, ckpt, warn);
  }

  void save(size_t, Checkpointer& ckpt, int64_t step, const nlohmann::json& meta) override {
    save_split(*sharded_, model_, *opt_, make_opt_, !t_.comm || t_.comm->rank() == 0, ckpt, step, meta);
  }

 private:

  TechniqueSetup t_;
  const TrainJob& job_;
  BlockModel model_;
  std::unique_ptr<ShardedModel> sharded_;
  std::vector<torch::Tensor> params_;  // the shards
  std::unique_ptr<torch::optim::Optimizer> opt_;
  MakeOptimizer make_opt_ = [this](const std::vector<torch::Tensor>& ps) {
    return make_optimizer(ps, job_.train.optimizer, job_.hp);
  };
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
