// ShardedModel: a BlockModel whose trainable parameters live outside the
// module between uses, block group by block group. Two techniques:
//
// - FSDP (ZeRO-3), with a communicator: each block's parameters are
//   flattened, padded to a multiple of the world size and split; a rank
//   keeps one shard per block (what the optimizer owns, so gradients and
//   optimizer state are sharded too). A block's full parameters are
//   all-gathered just before it runs and freed after; gradients are
//   reduce-scattered onto the shards (summed, as DDP's all-reduce).
// - Spilling (Hydra), without one: each block's parameters live in host
//   memory (pinned when CUDA is there) and the optimizer updates them there;
//   a group of `group_blocks` blocks is copied to the device for its forward
//   and freed, copied again for its backward, and its gradients copied back.
//   At most one group's parameters are on the device at a time.
//
// A block's parameters are views into one flat buffer on the device whose
// storage is allocated when the block is gathered and dropped when it is
// freed, so tensors autograd saved keep pointing at it.
//
// With `recompute` (the default) a group's backward recomputes its forward
// from the saved input, with the RNG state of the forward so dropout masks
// repeat: only group inputs stay alive between forward and backward. Without
// it the forward's activations are kept and the group's parameters are
// gathered again just before its backward (a hook on its output) and
// reduced and freed just after (a hook on its input; finish_backward() does
// the first group's). `offload` keeps FSDP's shards, their gradients and the
// optimizer state in host memory (pinned with CUDA), as spilling always does.
// Spilling on CUDA prefetches the next group on a side stream while the
// current one computes (so two groups may be resident). Buffers stay in
// the module.
//
// Frozen parameters (a LoRA job's base weights) are split the same way but
// apart from the trainable ones: FSDP shards them over the ranks (1/N of
// the base per rank, gathered with their block), spilling keeps them in
// host memory and moves them with their group; they get no gradient, no
// reduction and no optimizer state. Trainable parameters (the adapters) are
// sharded too: their gradients are produced block by block as backward
// runs, and a reduce-scatter onto shards costs what DDP's all-reduce would.
//
// Checkpoints keep the single-device format: gather_full() materialises the
// whole model and a full optimizer whose state is gathered from the shards
// (rank 0 then saves it), and load_full() takes a loaded full model and
// optimizer apart into this rank's shards, so a job moves between single,
// ddp, fsdp and spill at any checkpoint. With a communicator every call is
// collective (all ranks, same order). Not thread safe.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "train/comm/comm.h"
#include "train/models/block_model.h"

namespace saturn::train {

struct ShardOptions {
  Communicator* comm = nullptr;   // FSDP over its ranks; nullptr = spill to host memory
  int64_t group_blocks = 1;       // blocks gathered (or copied) and freed together
  bool recompute = true;          // recompute activations in backward (else keep them)
  bool offload = false;           // FSDP: shards and optimizer state in host memory
};

class ShardedModel {
 public:
  // Takes `model`'s parameters apart (every rank holds them identically,
  // e.g. from one seed or a broadcast), then frees them in the module.
  ShardedModel(BlockModel model, const ShardOptions& o);
  ~ShardedModel();

  // This rank's shard of every block: what the optimizer updates.
  const std::vector<torch::Tensor>& shards() const { return shards_; }
  // Bytes of trainable parameters this rank holds between steps (its shards;
  // for spilling, in host memory).
  int64_t shard_bytes() const;
  // Bytes of frozen parameters this rank holds between steps (1/N of them
  // with N ranks; for spilling, all of them, in host memory).
  int64_t frozen_shard_bytes() const;
  // Largest bytes of full parameters, trainable and frozen, resident in the
  // module at once so far (spilling: on the device).
  int64_t peak_resident_bytes() const { return peak_resident_; }

  // The model's forward, block by block with gathered parameters.
  torch::Tensor forward(const torch::Tensor& x);
  // After each backward: reduces the gradients that no hook has reduced yet
  // (without recompute, the first group's) and frees their blocks.
  void finish_backward();

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

  // Internal, for the autograd function and hooks. Group g covers blocks
  // [g * group_blocks, (g + 1) * group_blocks); its units are those blocks
  // and the ones they read (a tied embedding).
  size_t groups() const;
  int64_t group_blocks() const { return group_blocks_; }
  std::vector<size_t> group_units(size_t g) const;
  // Makes group g's units resident (waiting for a prefetch of them) and,
  // when prefetching, starts copying the next group in `order` (+1 forward,
  // -1 backward); leave_group frees g's units that the prefetched one does
  // not need.
  void enter_group(size_t g, int order);
  void leave_group(size_t g, int order);
  torch::Tensor reduce_block_grads(size_t b);  // this rank's part of block b's gradients, summed
  void reduce_into_shard(size_t b);            // ... added to its shard's .grad
  BlockModel& model() { return model_; }

 private:
  struct Part {
    std::vector<torch::Tensor> params;   // the module's parameters of this kind: views of `flat`
    std::vector<int64_t> offsets;        // into the flat vector
    int64_t numel = 0, shard = 0;        // elements in all; per rank (padded)
    torch::Tensor flat;                  // shard * world elements on the device; storage only while gathered
  };
  struct Block {
    Part train;                          // trainable: shards_[b] is this rank's slice
    Part frozen;                         // frozen: frozen_[b] is this rank's slice
    bool gathered = false;               // both flats hold the full parameters
  };
  struct Prefetch;                       // CUDA side stream and events (spilling)
  torch::Tensor take_apart(Part& part);  // flattens; returns this rank's slice
  static void bind(Part& part);          // the parameters become views of `flat`
  static int64_t bytes_of(const Block& blk);
  void fill(Part& part, torch::Tensor shard);  // allocates `flat`, gathers or copies it in
  void gather_block(size_t b);
  void free_block(size_t b);
  void start_prefetch(size_t g);
  torch::Tensor gather_state(const torch::Tensor& shard, int64_t shard_numel);  // optimizer state, full, on the device
  torch::Tensor reduce_flat(const torch::Tensor& flat, int64_t shard_numel);  // this rank's part, summed
  BlockModel model_;
  Communicator* comm_;
  int64_t world_ = 1, rank_ = 0, group_blocks_ = 1;
  bool recompute_ = true, host_shards_ = false;
  torch::TensorOptions device_;                // where the module computes
  int64_t resident_ = 0, peak_resident_ = 0;
  std::vector<Block> blocks_;
  std::vector<torch::Tensor> shards_;          // trainable, per block: the optimizer's
  std::vector<torch::Tensor> frozen_;          // frozen, per block: no gradient
  std::unique_ptr<Prefetch> prefetch_;
};

}  // namespace saturn::train
