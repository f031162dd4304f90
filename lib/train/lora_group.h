// LoraGroup: K LoRA jobs of one base model trained as one (horizontal
// fusion where it pays most): one copy of the frozen base weights and K
// adapter sets. Each adapted projection (models/dense.h) holds lora_A
// [K, rank, in] and lora_B [K, out, rank]; an input [K, batch, ...] runs
// through the base as one batch of K x batch samples (one matrix product
// per frozen projection, shared by the K jobs) and through adapter set k
// for job k's samples (batched matrix products), with job k's scale
// (alpha / rank) and adapter dropout. Output [K, batch, ..., vocab].
//
// Job k's adapters start where its unfused job's would (drawn after
// manual_seed(its seed)), so the group trains as the K jobs alone would,
// within float rounding. The jobs must share the base: one `from` folder,
// or none and one seed (a random base is drawn from the seed); and one
// shape (rank, targets), without train_embeddings (each job would train its
// own embedding). The same interface as FusedModel, so the fused technique
// trains either. Not thread safe.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "train/models/block_model.h"
#include "train/train_job.h"

namespace saturn::train {

class LoraGroup {
 public:
  // Throws saturn::Error (Usage) when the jobs do not share a base.
  LoraGroup(const std::vector<TrainJob>& jobs, const torch::Device& device);

  int64_t k() const { return k_; }
  // The adapters, [K, ...] each, in a plain LoRA model's trainable order;
  // every one trains (the base is not among them).
  const std::vector<torch::Tensor>& params() const { return params_; }
  std::vector<torch::Tensor> trainable() const { return params_; }

  torch::Tensor forward(const torch::Tensor& x);
  void train(bool on) { base_->train(on); }

  // A plain LoRA model of these jobs whose frozen weights hold no storage:
  // what a single job's checkpoint holds (its adapters).
  BlockModel plain() const;
  // Job k's adapters copied into / from a plain model's.
  void extract(int64_t k, BlockModel& into) const;
  void load(int64_t k, BlockModel& from);

  // Bytes of the base weights (held once) and of every adapter set.
  int64_t base_bytes() const;
  int64_t adapter_bytes() const;

 private:
  const TrainJob& first_;
  int64_t k_;
  BlockModel base_;
  std::vector<torch::Tensor> params_;
};

}  // namespace saturn::train
