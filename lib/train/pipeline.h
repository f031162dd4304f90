// Pipeline: pipeline parallelism (1F1B by default, or GPipe) of a
// BlockModel over a communicator's ranks. The block list is cut into
// contiguous stages, one per rank, balanced by measured block times
// (balance_stages); a rank keeps only its stage's parameters (the others'
// storage is dropped). A step splits the
// global batch into micro-batches that go forward through the stages
// (activations sent rank to rank) and backward (activation gradients sent
// back); gradients accumulate over the micro-batches and the optimizer steps
// once, so the update is the single-device one. Two schedules, the same
// bubble: GPipe (every forward, then every backward: a stage holds the
// activations of all M micro-batches) and 1F1B (after S - r warm-up
// forwards, stage r alternates one forward and one backward, so it holds at
// most S - r; neighbours exchange activations and gradients in one
// send_recv so neither waits on the other). A parameter a later stage reads (a tied embedding) is
// held by both stages, its gradients summed across them after backward.
//
// Checkpoints keep the single-device format: gather_full() sends every
// stage's parameters and optimizer state to all ranks (rank 0 saves);
// load_full() keeps this rank's part of a loaded full model and optimizer.
// Every call is collective. Not thread safe.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <vector>

#include "train/comm/comm.h"
#include "train/models/block_model.h"

namespace saturn::train {

// Contiguous stages over blocks with these times minimising the slowest
// stage (ties: earlier cuts). Returns the first block of each stage and
// then the block count (stages + 1 entries). Needs stages <= blocks.
std::vector<size_t> balance_stages(const std::vector<double>& block_times, size_t stages);

enum class PipeSchedule { GPipe, OneFOneB };

class Pipeline {
 public:
  // `cuts`: balance_stages' output for comm.world() stages.
  Pipeline(BlockModel model, Communicator& comm, std::vector<size_t> cuts,
           PipeSchedule schedule = PipeSchedule::OneFOneB);

  // The parameters this rank's optimizer owns (its stage and what it reads).
  const std::vector<torch::Tensor>& params() const { return params_; }
  size_t first_block() const { return cuts_[static_cast<size_t>(comm_.rank())]; }
  size_t end_block() const { return cuts_[static_cast<size_t>(comm_.rank()) + 1]; }

  // One step's forward and backward over the micro-batches (inputs and
  // targets; every rank passes the same ones). `scale` multiplies each
  // micro-batch's mean loss (its share of the global batch). With grad off,
  // forward only. Returns the summed scaled loss on the last stage, 0
  // elsewhere (a double scalar on the stage's device).
  torch::Tensor run(const std::vector<torch::Tensor>& inputs, const std::vector<torch::Tensor>& targets,
                    const std::vector<double>& scale, bool train);

  double clip_grad_norm(double max_norm);
  // Most micro-batches whose activations this stage held at once (forward
  // done, backward not yet), over every training run() so far.
  int64_t peak_in_flight() const { return peak_in_flight_; }

  // Full parameters and optimizer state on every rank (rank 0 saves them).
  std::unique_ptr<torch::optim::Optimizer> gather_full(
      torch::optim::Optimizer& mine,
      const std::function<std::unique_ptr<torch::optim::Optimizer>(const std::vector<torch::Tensor>&)>& make);
  void materialise();  // full parameters allocated, to load a checkpoint into
  void load_full(torch::optim::Optimizer& full, torch::optim::Optimizer& mine);
  void release();      // drop the parameters this stage does not hold

 private:
  bool holds(size_t block) const;
  void send_tensor(const torch::Tensor& t, int dst);
  torch::Tensor recv_tensor(int src, const torch::TensorOptions& o);
  // Sends `t` to `peer` while receiving a tensor from it (shape headers first).
  torch::Tensor exchange(const torch::Tensor& t, int peer, const torch::TensorOptions& o);
  void sum_shared_grads();

  BlockModel model_;
  Communicator& comm_;
  std::vector<size_t> cuts_;
  std::vector<size_t> shared_;          // blocks held by more than one stage
  std::vector<torch::Tensor> params_;
  PipeSchedule schedule_;
  int64_t peak_in_flight_ = 0;
};

}  // namespace saturn::train
