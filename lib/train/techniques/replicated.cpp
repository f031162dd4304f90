#include "train/techniques/replicated.h"

#include "train/optim.h"

namespace saturn::train {
namespace {

// Sums gradients over ranks in buckets of about 16M elements.
void all_reduce_gradients(const std::vector<torch::Tensor>& params, Communicator& comm) {
  constexpr int64_t kBucket = int64_t(1) << 24;
  std::vector<torch::Tensor> bucket;
  int64_t elements = 0;
  auto flush = [&] {
    if (bucket.empty()) return;
    std::vector<torch::Tensor> flat;
    for (auto& g : bucket) flat.push_back(g.reshape({-1}));
    auto all = torch::cat(flat);
    comm.all_reduce(all);
    int64_t offset = 0;
    for (auto& g : bucket) {
      g.copy_(all.slice(0, offset, offset + g.numel()).view_as(g));
      offset += g.numel();
    }
    bucket.clear();
    elements = 0;
  };
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    bucket.push_back(p.grad());
    elements += p.numel();
    if (elements >= kBucket) flush();
  }
  flush();
}

class Replicated final : public TechniqueImpl {
 public:
  explicit Replicated(const TechniqueSetup& t) : t_(t), job_(t.jobs->front()), model_(build_job_model(t)) {
    params_ = trainable(*model_);
    opt_ = make_optimizer(params_, job_.train.optimizer, job_.hp);
    micro_ = share_micro_batch(t);
  }

  void set_lr(const std::vector<double>& lr) override { train::set_lr(*opt_, lr.at(0)); }

  torch::Tensor train_step(const Samples& s, const std::vector<bool>&) override {
    clear_grads(params_);
    auto loss = train_share(t_, s, micro_, [&](const torch::Tensor& x) { return model_->forward(x); }, {});
    if (t_.comm) all_reduce_gradients(params_, *t_.comm);
    return loss;
  }

  void clip(double max_norm) override { torch::nn::utils::clip_grad_norm_(params_, max_norm); }
  void update(const std::vector<bool>&) override { opt_->step(); }

  torch::Tensor eval_sum(const Samples& s) override {
    return eval_share(t_, model_, s, micro_, [&](const torch::Tensor& x) { return model_->forward(x); });
  }

  std::optional<nlohmann::json> load(size_t, Checkpointer& ckpt,
                                     const std::function<void(const std::string&)>& warn) override {
    return ckpt.load_latest(model_, *opt_, warn);
  }

  void save(size_t, Checkpointer& ckpt, int64_t step, const nlohmann::json& meta) override {
    if (!t_.comm || t_.comm->rank() == 0) ckpt.save(step, model_, *opt_, meta);
  }

 private:
  TechniqueSetup t_;
  const TrainJob& job_;
  BlockModel model_;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
  int64_t micro_ = 1;
};

}  // namespace

std::unique_ptr<TechniqueImpl> make_replicated(const TechniqueSetup& t) { return std::make_unique<Replicated>(t); }

}  // namespace saturn::train
