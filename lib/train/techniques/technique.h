// TechniqueImpl: how a technique trains the jobs of one worker (one job, or
// a fused group of K) on this rank, behind one interface, so that one
// training loop (train_loop.h) owns the cadence (metrics, evaluation,
// checkpoints, stop signals, result.json, trial timing) for all of them.
// A technique owns the model and optimizer: what a step is (forward and
// backward over the global batch, gradient reduction across ranks,
// clipping), evaluation, and the full single-device state each job saves
// and loads, so a job moves between techniques at any checkpoint.
//
// Adding a technique: a file pair here with its factory, and one line in
// registry.cpp. With a communicator every call is collective (all ranks,
// same order). Not thread safe.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "train/checkpoint.h"
#include "train/comm/comm.h"
#include "train/data/dataset.h"
#include "train/models/block_model.h"
#include "train/train_job.h"

namespace saturn::train {

// The samples of one pass: positions [0, count) of every job's batch, the
// sample at position q of job j being index(j, q) in `data`.
struct Samples {
  const Dataset* data = nullptr;
  int64_t count = 0;
  std::function<int64_t(size_t job, int64_t q)> index;
  int64_t step = 0;  // training: the optimizer step (0-based), for per-step seeds

  // Trained targets of job j's positions [lo, hi): a loss is the mean over
  // a batch's trained targets, so a micro-batch's share is its count over
  // the batch's.
  int64_t trained(size_t j, int64_t lo, int64_t hi) const;
};

// What a technique is built from. `jobs` share model, batch size, data and
// training settings (the loop checks); they outlive the technique.
struct TechniqueSetup {
  const std::vector<TrainJob>* jobs = nullptr;
  Communicator* comm = nullptr;  // null: one device
  torch::Device device = torch::kCPU;
  bool bf16 = false;             // forward under bf16 autocast
  const DataSplit* data = nullptr;
};

class TechniqueImpl {
 public:
  virtual ~TechniqueImpl() = default;

  // Sets each job's learning rate for the next update.
  virtual void set_lr(const std::vector<double>& lr) = 0;
  // Forward and backward over one step's global batch (gradients from none,
  // summed across ranks as the technique needs). Returns this rank's share of
  // each job's mean loss: [jobs] double on the device; the shares sum to the
  // loss over ranks. Jobs not `active` are computed but do not learn.
  virtual torch::Tensor train_step(const Samples& s, const std::vector<bool>& active) = 0;
  // Clips each job's gradients to a global norm over all ranks.
  virtual void clip(double max_norm) = 0;
  // The optimizer step of the active jobs.
  virtual void update(const std::vector<bool>& active) = 0;
  // Sum of each job's per-sample loss over this rank's share of `s`, each
  // micro-batch's mean weighted by its trained targets / tokens_per_sample
  // (its samples when nothing is masked) (evaluation mode, no gradients):
  // [jobs] double on the device.
  virtual torch::Tensor eval_sum(const Samples& s) = 0;
  // Job j's newest valid checkpoint loaded into the model and optimizer;
  // its manifest, or nullopt when there is none.
  virtual std::optional<nlohmann::json> load(size_t j, Checkpointer& ckpt,
                                             const std::function<void(const std::string&)>& warn) = 0;
  // Job j's full single-device state saved as `step` (rank 0 writes).
  virtual void save(size_t j, Checkpointer& ckpt, int64_t step, const nlohmann::json& meta) = 0;
  // Models trained as one (result.json's "fused"); 0 when not fused.
  virtual int64_t fused_width() const { return 0; }
};

// The technique of jobs->front().technique (Single and Ddp are one: data
// parallel over the communicator's ranks, or none). Throws saturn::Error
// when it cannot run what it is given.
std::unique_ptr<TechniqueImpl> make_technique(const TechniqueSetup& setup);

// Shared by the techniques.
std::vector<torch::Tensor> trainable(torch::nn::Module& m);  // parameters that require gradients
// Job 0's model after manual_seed(its seed), on the device, in training
// mode; with a communicator every rank then holds rank 0's weights.
BlockModel build_job_model(const TechniqueSetup& t);
// Gradients to none rather than zero: the first backward writes them
// instead of adding to a memset buffer (what PyTorch 2.x does by default).
void clear_grads(const std::vector<torch::Tensor>& params);
// This rank's part [lo, hi) of `count` positions split over the ranks.
std::pair<int64_t, int64_t> rank_slice(int64_t count, const Communicator* comm);
// The data-parallel techniques' micro-batch: the job's micro_batch, else
// this rank's whole share of the batch.
int64_t share_micro_batch(const TechniqueSetup& t);
// Forward (through `forward`) and backward over this rank's share of s
// (rank_slice of job 0's batch) in micro-batches of `micro`, each loss
// scaled by its share of s.count, calling after_backward (if any) after
// each; returns the summed scaled loss as a [1] double.
using ForwardFn = std::function<torch::Tensor(const torch::Tensor&)>;
torch::Tensor train_share(const TechniqueSetup& t, const Samples& s, int64_t micro, const ForwardFn& forward,
                          const std::function<void()>& after_backward);
// The summed per-sample loss of this rank's share of s as a [1] double,
// `model` in evaluation mode meanwhile, without gradients.
torch::Tensor eval_share(const TechniqueSetup& t, BlockModel& model, const Samples& s, int64_t micro,
                         const ForwardFn& forward);

}  // namespace saturn::train
