#include "train/techniques/technique.h"

#include <algorithm>

#include "train/models/build.h"
#include "train/models/hf_weights.h"
#include "train/models/lora.h"
#include "train/precision.h"

namespace saturn::train {

std::vector<torch::Tensor> trainable(torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (auto& p : m.parameters())
    if (p.requires_grad()) out.push_back(p);
  return out;
}

BlockModel build_job_model(const TechniqueSetup& t) {
  const TrainJob& job = t.jobs->front();
  torch::manual_seed(job.hp.seed);
  // Pretrained weights replace the initial ones on every rank: none are drawn.
  BlockModel model = build_model(job.arch, job.config, job.module_path, /*init=*/job.from_dir.empty());
  // Pretrained weights: read once, by rank 0; the broadcast below gives them to the others.
  if (!job.from_dir.empty() && (!t.comm || t.comm->rank() == 0)) load_pretrained(job.arch, model, job.from_dir);
  // Adapters after the base weights: drawn from the seed on every rank alike.
  apply_lora(job.arch, model, job.finetune);
  model->to(t.device);
  if (t.comm)
    for (auto& p : model->parameters()) {
      torch::NoGradGuard g;
      t.comm->broadcast(p, 0);
    }
  model->train();
  return model;
}

std::pair<int64_t, int64_t> rank_slice(int64_t count, const Communicator* comm) {
  const int64_t rank = comm ? comm->rank() : 0, world = comm ? comm->world() : 1;
  return {count * rank / world, count * (rank + 1) / world};
}

namespace {

}  // namespace

int64_t Samples::trained(size_t j, int64_t lo, int64_t hi) const {
  std::vector<int64_t> idx;
  for (int64_t q = lo; q < hi; ++q) idx.push_back(index(j, q));
  return data->trained_targets(idx);
}

namespace {

// The samples of positions [p, min(p + micro, hi)) of job 0.
Batch micro_batch(const Samples& s, int64_t p, int64_t micro, int64_t hi) {
  std::vector<int64_t> idx;
  for (int64_t q = p; q < std::min(p + micro, hi); ++q) idx.push_back(s.index(0, q));
  return s.data->batch(idx);
}

}  // namespace

void clear_grads(const std::vector<torch::Tensor>& params) {
  for (auto p : params) p.mutable_grad() = torch::Tensor();
}

int64_t share_micro_batch(const TechniqueSetup& t) {
  const TrainJob& job = t.jobs->front();
  const auto [lo, hi] = rank_slice(job.hp.batch_size, t.comm);
  return job.micro_batch > 0 ? job.micro_batch : hi - lo;
}

torch::Tensor train_share(const TechniqueSetup& t, const Samples& s, int64_t micro, const ForwardFn& forward,
                          const std::function<void()>& after_backward) {
  const auto [lo, hi] = rank_slice(s.count, t.comm);
  // Summed on the device: one host sync per step, not one per micro-batch.
  auto sum = torch::zeros({1}, torch::TensorOptions().dtype(torch::kDouble).device(t.device));
  const int64_t total = s.trained(0, 0, s.count);  // the whole batch's, every rank's
  for (int64_t p = lo; p < hi; p += micro) {
    Batch b = micro_batch(s, p, micro, hi);
    const int64_t n = s.trained(0, p, std::min(p + micro, hi));
    const double share = total > 0 ? static_cast<double>(n) / static_cast<double>(total) : 0.0;
    torch::Tensor loss;
    {
      AutocastScope autocast(t.device, t.bf16);
      auto out = forward(b.input.to(t.device, /*non_blocking=*/true));
      // (all masked: no loss, but the same backward as every micro-batch)
      loss = n > 0 ? BlockModelImpl::loss(out, b.target.to(t.device, /*non_blocking=*/true)) * share : out.sum() * 0.0;
    }
    loss.backward();
    if (after_backward) after_backward();
    sum += loss.detach().to(torch::kDouble);
  }
  return sum;
}

torch::Tensor eval_share(const TechniqueSetup& t, BlockModel& model, const Samples& s, int64_t micro,
                         const ForwardFn& forward) {
  torch::NoGradGuard no_grad;
  model->eval();
  const auto [lo, hi] = rank_slice(s.count, t.comm);
  double sum = 0;
  const auto per_sample = static_cast<double>(s.data->tokens_per_sample());
  for (int64_t p = lo; p < hi; p += micro) {
    const int64_t n = s.trained(0, p, std::min(p + micro, hi));
    if (n == 0) continue;
    Batch b = micro_batch(s, p, micro, hi);
    AutocastScope autocast(t.device, t.bf16);
    auto out = forward(b.input.to(t.device));
    sum += BlockModelImpl::loss(out, b.target.to(t.device)).item<double>() * (static_cast<double>(n) / per_sample);
  }
  model->train();
  return torch::full({1}, sum, torch::TensorOptions().dtype(torch::kDouble).device(t.device));
}

}  // namespace saturn::train
