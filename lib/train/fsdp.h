// Fsdp: fully sharded data parallelism (ZeRO-3) of a BlockModel over a
// communicator's ranks. Each block's trainable parameters are flattened,
// padded to a multiple of the world size and split: a rank keeps one shard
// per block (the tensors the optimizer owns, so gradients and optimizer
// state are sharded too). forward() runs block by block: a block's full
// parameters are all-gathered just before it runs and freed after; its
// backward gathers them again, recomputes the block's forward from the
// saved input (activation recompute, with the RNG state of the forward, so
// dropout masks repeat), and reduce-scatters the parameter gradients onto
// the shards (summed, as DDP's all-reduce). Non-trainable buffers stay
// replicated. Between steps the model's parameters hold no storage.
//
// Checkpoints keep the single-device format: gather_full() materialises the
// whole model and a full optimizer whose state is gathered from the shards
// (any rank can then save it), and load_full() takes a loaded full model and
// optimizer apart into this rank's shards, so a job moves between single,
// ddp and fsdp at any checkpoint. Every call is collective (all ranks, same
// order). Not thread safe.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "train/comm/comm.h"
#include "train/models/block_model.h"

namespace saturn::train {

class Fsdp {
 public:
  // Shards `model` (whose parameters every rank holds identically, e.g. from
  // one seed or a broadcast), then frees its full parameters.
  Fsdp(BlockModel model, Communicator& comm);
  ~Fsdp();

  // This rank's shard of every block: what the optimizer updates.
  const std::vector<torch::Tensor>& shards() const { return shards_; }
  // Bytes of trainable parameters this rank holds between steps (its shards).
  int64_t shard_bytes() const;

  // The model's forward, block by block with gathered parameters.
  torch::Tensor forward(const torch::Tensor& x);

  // Clips the shards' gradients to a global norm over all ranks (as
  // clip_grad_norm_ over the whole model); returns the norm before clipping.
  double clip_grad_norm(double max_norm);

  // Materialises the full parameters in the model and returns an optimizer
  // over them (the same kind and order as a single-device job's) holding
  // the full optimizer state; release() frees the parameters again.
  std::unique_ptr<torch::optim::Optimizer> gather_full(torch::optim::Optimizer& sharded,
                                                       const std::function<std::unique_ptr<torch::optim::Optimizer>(
                                                           const std::vector<torch::Tensor>&)>& make);
  // Allocates the full parameters (uninitialised) so a checkpoint can be
  // loaded into the model; then load_full() shards what was loaded.
  void materialise();
  void load_full(torch::optim::Optimizer& full, torch::optim::Optimizer& sharded);
  void release();

  // Internal, for the autograd function: gather/free one block.
  void gather_block(size_t b);
  void free_block(size_t b);
  torch::Tensor reduce_block_grads(size_t b);
  BlockModel& model() { return model_; }

 private:
  struct Block {
    std::vector<torch::Tensor> params;   // the module's trainable parameters
    std::vector<int64_t> offsets;        // into the flat vector
    int64_t numel = 0, shard = 0;        // elements in all; per rank (padded)
  };
  BlockModel model_;
  Communicator& comm_;
  std::vector<Block> blocks_;
  std::vector<torch::Tensor> shards_;
};

}  // namespace saturn::train
