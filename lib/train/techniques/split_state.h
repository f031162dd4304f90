// Checkpoints of a technique that splits a model's parameters over ranks
// or memories (ShardedModel, Pipeline): loaded into full tensors and a full
// optimizer in the single-device format, then split again; saved by
// gathering the full state on every rank, rank 0 writing it. `Split` has
// materialise(), load_full(full, mine), gather_full(mine, make), release().
// Collective.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "train/checkpoint.h"
#include "train/techniques/technique.h"

namespace saturn::train {

using MakeOptimizer = std::function<std::unique_ptr<torch::optim::Optimizer>(const std::vector<torch::Tensor>&)>;

template <class Split>
std::optional<nlohmann::json> load_split(Split& split, BlockModel& model, torch::optim::Optimizer& mine,
                                         const MakeOptimizer& make, Checkpointer& ckpt,
                                         const std::function<void(const std::string&)>& warn) {
  split.materialise();
  auto full = make(trainable(*model));
  auto manifest = ckpt.load_latest(model, *full, warn);
  if (manifest) split.load_full(*full, mine);
  else split.release();
  return manifest;
}

template <class Split>
void save_split(Split& split, BlockModel& model, torch::optim::Optimizer& mine, const MakeOptimizer& make,
                bool leader, Checkpointer& ckpt, int64_t step, const nlohmann::json& meta) {
  auto full = split.gather_full(mine, make);
  if (leader) ckpt.save(step, model, *full, meta);
  split.release();
}

}  // namespace saturn::train
