// Checkpoints of one job: the model's trained parameters (frozen ones are
// rebuilt from the job's source: a LoRA checkpoint holds adapters only) and
// buffers, optimizer state, the torch CPU RNG, and the step (which fixes the
// data position and the learning-rate schedule). Each checkpoint is two files in the job's ckpt/
// folder: step-<N>.pt (a torch archive, streamed to disk: never whole in
// memory) and step-<N>.json (its manifest: step, size and StreamHash checksum
// of the .pt, or an FNV-1a one from older saturns, and caller metadata), each
// written to a temporary name, fsynced and renamed, the folder fsynced after. The
// manifest is written last, so a checkpoint exists only once complete. The
// newest `keep` are kept. Not thread safe; one writer per job (rank 0).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "train/models/block_model.h"

namespace saturn::train {

class Checkpointer {
 public:
  explicit Checkpointer(std::string dir, int keep = 2) : dir_(std::move(dir)), keep_(keep) {}

  // Writes the checkpoint of `step`; `meta` is stored in the manifest.
  void save(int64_t step, BlockModel& model, torch::optim::Optimizer& opt, const nlohmann::json& meta);

  // Loads the newest checkpoint that is complete and whose checksum matches
  // into model and optimizer (and restores the RNG); returns its manifest, or
  // nullopt when there is none. Each one skipped is reported through `warn`
  // with the reason.
  std::optional<nlohmann::json> load_latest(BlockModel& model, torch::optim::Optimizer& opt,
                                            const std::function<void(const std::string&)>& warn);

  // The model's parameters and buffers alone from the newest complete
  // checkpoint (as load_latest picks it); its manifest, or nullopt.
  std::optional<nlohmann::json> load_weights(BlockModel& model, const std::function<void(const std::string&)>& warn);

  // Adds `extra`'s keys to the meta of checkpoint `step`'s manifest (written
  // again atomically): what was measured after it was saved. Throws
  // saturn::Error when there is no such manifest or it cannot be written.
  void add_meta(int64_t step, const nlohmann::json& extra);
  const std::string& dir() const { return dir_; }

 private:
  // Newest first, the checkpoints whose bytes match their manifest; `use`
  // loads one from its .pt path (false, with a reason, when it cannot); the
  // first it takes.
  std::optional<nlohmann::json> newest(const std::function<bool(const std::string& path, std::string* why)>& use,
                                       const std::function<void(const std::string&)>& warn);

  std::string dir_;
  int keep_;
};

}  // namespace saturn::train
