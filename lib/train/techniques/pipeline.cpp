#include "train/techniques/pipeline.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "train/metrics.h"
#include "train/optim.h"
#include "train/pipeline.h"
#include "train/precision.h"
#include "train/techniques/replicated.h"
#include "train/techniques/split_state.h"

namespace saturn::train {
namespace {

using Clock = std::chrono::steady_clock;

// Each block's forward seconds on one micro-batch of `micro` training
// samples, measured on rank 0 (a warm-up, then two runs) and broadcast.
std::vector<double> block_times(const TechniqueSetup& t, BlockModel& model, int64_t micro) {
  const auto blocks = static_cast<int64_t>(model->size());
  auto times = torch::zeros({blocks}, torch::TensorOptions().dtype(torch::kDouble).device(t.device));
  if (t.comm->rank() == 0) {
    torch::NoGradGuard g;
    const Dataset& train = *t.data->train;
    std::vector<int64_t> idx;
    for (int64_t q = 0; q < micro; ++q) idx.push_back(q % train.size());
    torch::Tensor x = train.batch(idx).input.to(t.device);
    for (int rep = 0; rep < 3; ++rep) {
      torch::Tensor h = x;
      for (int64_t b = 0; b < blocks; ++b) {
        const auto t0 = Clock::now();
        h = model->forward_range(h, static_cast<size_t>(b), static_cast<size_t>(b + 1));
        if (rep > 0) times[b] += std::chrono::duration<double>(Clock::now() - t0).count();
      }
    }
  }
  t.comm->broadcast(times, 0);
  times = times.cpu();
  std::vector<double> out(static_cast<size_t>(blocks));
  for (int64_t b = 0; b < blocks; ++b) out[static_cast<size_t>(b)] = times[b].item<double>();
  return out;
}

// The job's stage cuts: those its first start chose, kept in
// JOB_DIR/pipeline-stages.json for as many stages and blocks, else balanced
// on measured block times (and kept there, trials aside). A resumed run so
// cuts where the interrupted one did: each stage seeds its own dropout
// masks, and another cut, picked on times measured under other load, would
// draw other masks. Rank 0 reads and writes the file; the ranks agree by
// broadcast.
std::vector<size_t> stage_cuts(const TechniqueSetup& t, const TrainJob& job, BlockModel& model, int64_t micro) {
  const auto world = static_cast<size_t>(t.comm->world());
  const size_t blocks = model->size();
  const std::string path = job.out_dir + "/pipeline-stages.json";
  auto kept = torch::zeros({static_cast<int64_t>(world) + 2}, torch::TensorOptions().dtype(torch::kLong).device(t.device));
  if (t.comm->rank() == 0 && !job.trial.enabled) {
    std::ifstream f(path);
    const nlohmann::json j = f ? nlohmann::json::parse(f, nullptr, false) : nlohmann::json();
    if (j.is_object() && j.value("blocks", size_t(0)) == blocks && j.contains("cuts") && j["cuts"].is_array() &&
        j["cuts"].size() == world + 1) {
      auto host = torch::zeros({static_cast<int64_t>(world) + 2}, torch::kLong);
      host[0] = 1;
      for (size_t i = 0; i <= world; ++i) host[static_cast<int64_t>(i) + 1] = j["cuts"][i].get<int64_t>();
      kept.copy_(host);
    }
  }
  t.comm->broadcast(kept, 0);
  kept = kept.cpu();
  if (kept[0].item<int64_t>() == 1) {
    std::vector<size_t> cuts;
    for (size_t i = 0; i <= world; ++i) cuts.push_back(static_cast<size_t>(kept[static_cast<int64_t>(i) + 1].item<int64_t>()));
    return cuts;
  }
  std::vector<size_t> cuts = balance_stages(block_times(t, model, micro), world);
  if (t.comm->rank() == 0 && !job.trial.enabled) {
    std::filesystem::create_directories(job.out_dir);
    write_json_atomic(path, {{"blocks", blocks}, {"cuts", cuts}});
  }
  return cuts;
}

class Pipelined final : public TechniqueImpl {
 public:
  explicit Pipelined(const TechniqueSetup& t) : t_(t), job_(t.jobs->front()), model_(build_job_model(t)) {
    const int world = t.comm->world();
    const int64_t batch = job_.hp.batch_size;
    if (static_cast<int64_t>(model_->size()) < world)
      throw data_error("job " + job_.id + ": a pipeline of " + std::to_string(world) + " stages needs as many blocks; " +
                       "the model has " + std::to_string(model_->size()));
    const int64_t micro_batches = std::clamp<int64_t>(job_.micro_batches > 0 ? job_.micro_batches : 2 * world, 1, batch);
    micro_ = (batch + micro_batches - 1) / micro_batches;
    pipe_ = std::make_unique<Pipeline>(model_, *t.comm,
                                       stage_cuts(t, job_, model_, micro_),
                                       job_.gpipe ? PipeSchedule::GPipe : PipeSchedule::OneFOneB);
    params_ = pipe_->params();
    opt_ = make_opt_(params_);
  }

  void set_lr(const std::vector<double>& lr) override { train::set_lr(*opt_, lr.at(0)); }

  torch::Tensor train_step(const Samples& s, const std::vector<bool>&) override {
    clear_grads(params_);
    Micro m = micro_batches(s, /*share=*/true);
    // Each stage draws its own dropout masks: seeded by (seed, step, stage)
    // so a resumed run draws what an uninterrupted one would (a checkpoint
    // holds one RNG state, rank 0's).
    torch::manual_seed(static_cast<uint64_t>(job_.hp.seed) * 1000003u + static_cast<uint64_t>(s.step) * 131u +
                       static_cast<uint64_t>(t_.comm->rank()));
    AutocastScope autocast(t_.device, t_.bf16);
    return pipe_->run(m.inputs, m.targets, m.scale, true).to(torch::kDouble).reshape({1});
  }

  void clip(double max_norm) override { pipe_->clip_grad_norm(max_norm); }
  void update(const std::vector<bool>&) override { opt_->step(); }

  // Every stage sees every sample; the last stage's sum is the loss.
  torch::Tensor eval_sum(const Samples& s) override {
    torch::NoGradGuard no_grad;
    model_->eval();
    Micro m = micro_batches(s, /*share=*/false);
    double sum = 0;
    {
      AutocastScope autocast(t_.device, t_.bf16);
      sum = pipe_->run(m.inputs, m.targets, m.scale, false).item<double>();
    }
    model_->train();
    return torch::full({1}, sum, torch::TensorOptions().dtype(torch::kDouble).device(t_.device));
  }

  std::optional<nlohmann::json> load(size_t, Checkpointer& ckpt,
                                     const std::function<void(const std::string&)>& warn) override {
    return load_split(*pipe_, model_, *opt_, make_opt_, ckpt, warn);
  }

  void save(size_t, Checkpointer& ckpt, int64_t step, const nlohmann::json& meta) override {
    save_split(*pipe_, model_, *opt_, make_opt_, t_.comm->rank() == 0, ckpt, step, meta);
  }

 private:
  struct Micro {
    std::vector<torch::Tensor> inputs, targets;
    std::vector<double> scale;  // each micro-batch's share of the batch (training) or its size
  };
  // Micro-batches with trained targets (one with none adds no loss).
  Micro micro_batches(const Samples& s, bool share) const {
    Micro m;
    const auto total = static_cast<double>(s.trained(0, 0, s.count));
    const auto per_sample = static_cast<double>(s.data->tokens_per_sample());
    for (int64_t p = 0; p < s.count; p += micro_) {
      std::vector<int64_t> idx;
      for (int64_t q = p; q < std::min(p + micro_, s.count); ++q) idx.push_back(s.index(0, q));
      const auto n = static_cast<double>(s.data->trained_targets(idx));
      if (n == 0) continue;
      Batch b = s.data->batch(idx);
      m.inputs.push_back(b.input.to(t_.device, /*non_blocking=*/true));
      m.targets.push_back(b.target.to(t_.device, /*non_blocking=*/true));
      m.scale.push_back(share ? n / total : n / per_sample);
    }
    return m;
  }

  TechniqueSetup t_;
  const TrainJob& job_;
  BlockModel model_;
  std::unique_ptr<Pipeline> pipe_;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<torch::optim::Optimizer> opt_;
  MakeOptimizer make_opt_ = [this](const std::vector<torch::Tensor>& ps) {
    return make_optimizer(ps, job_.train.optimizer, job_.hp);
  };
  int64_t micro_ = 1;
};

}  // namespace

std::unique_ptr<TechniqueImpl> make_pipeline(const TechniqueSetup& t) {
  if (!t.comm) return make_replicated(t);
  return std::make_unique<Pipelined>(t);
}

}  // namespace saturn::train
