// The training loop of one job on one rank: single device, or data parallel
// (DDP) over a communicator's ranks with the same global batch. Writes the
// job's metrics.jsonl, checkpoints and result.json (rank 0 only), resumes
// from the newest valid checkpoint, and stops at a step boundary with a
// checkpoint when `stop_signal` becomes non-zero (all ranks agree on the
// step through one small all-reduce per step).
#pragma once

#include <torch/torch.h>

#include <csignal>
#include <functional>
#include <string>

#include "core/hyperparams.h"
#include "core/model_spec.h"
#include "core/train_spec.h"
#include "train/comm/comm.h"

namespace saturn::train {

struct TrainJob {
  std::string id;                 // the job id, for messages and result.json
  Arch arch = Arch::Gpt;
  Config config;                  // the job's config
  std::string module_path;        // torchscript: resolved path
  Hyperparams hp;
  TrainSpec train;
  DataSpec data;
  std::function<std::string(const std::string&)> resolve;  // workload-relative path -> usable path
  std::string out_dir;            // the job's folder: metrics.jsonl, ckpt/, result.json
  int64_t steps = 0;              // overrides train.steps/epochs when > 0
  int64_t micro_batch = 0;        // samples per forward pass per rank; 0 = the whole local batch
  std::string device = "cpu";     // "cpu" or "cuda:N"
  bool resume = true;             // continue from the newest valid checkpoint
};

// Trains; returns 0 when done, or 128 + the signal number after a checkpoint
// when stopped by `stop_signal` (which a signal handler sets). `comm` is null
// for a single device. Progress goes to `log` (rank 0 only). Throws
// saturn::Error for bad data or configuration.
int train_job(const TrainJob& job, Communicator* comm, const volatile std::sig_atomic_t* stop_signal,
              const std::function<void(const std::string&)>& log);

}  // namespace saturn::train
