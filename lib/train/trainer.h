// The training loop of one job on one rank: single device, or data parallel
// over a communicator's ranks with the same global batch, replicated (DDP)
// or fully sharded (FSDP), or a pipeline of stages (1F1B or GPipe); or spilled
// (several jobs fused into one model: fused_trainer.h). Writes the
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

// A profiling trial instead of training: no checkpoints, metrics or
// result.json; warm-up steps, then timed steps until the median is stable.
struct TrialOptions {
  bool enabled = false;
  int64_t warmup = 3;           // untimed steps first (allocations, caches)
  int64_t window = 5;           // the median and spread are over the last `window` steps
  double max_spread = 0.05;     // stable: (max - min) / median of the window at most this
  int64_t max_steps = 40;       // timed steps at most
  double max_seconds = 60;      // wall time of the timed steps at most
  std::string run_dir;          // this rank writes run_files::trial_rank_path(run_dir, r)
};

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
  std::string technique = "ddp";  // with a communicator: "ddp" (replicas), "fsdp" (sharded) or "pipeline"; alone:
                                  // "single" or "spill" (parameters in host memory), see sharded_model.h
  int64_t group_blocks = 1;       // fsdp, spill: blocks gathered or copied to the device together
  int64_t micro_batches = 0;      // pipeline: micro-batches per step (0 = 2 x stages, at most the batch)
  bool gpipe = false;             // pipeline: GPipe schedule (else 1F1B, the same bubble in less memory)
  bool recompute = true;          // fsdp, spill: recompute each group's activations in backward (else keep them)
  bool offload = false;           // fsdp: shards, gradients and optimizer state in host memory
  bool resume = true;             // continue from the newest valid checkpoint
  TrialOptions trial;
};

// In a trial, each rank writes {"feasible": true, "step_time": median s,
// "spread", "timed_steps", "peak_memory": bytes this rank added (CPU: peak
// RSS over the RSS before the data was read; CUDA: peak reserved bytes)}, or
// {"feasible": false, "reason": "out of memory: ..."} and returns
// kTrialInfeasible (so the launcher stops the other ranks).
//
// Trains; returns 0 when done, or 128 + the signal number after a checkpoint
// when stopped by `stop_signal` (which a signal handler sets). `comm` is null
// for a single device. Progress goes to `log` (rank 0 only). Throws
// saturn::Error for bad data or configuration.
// The steps a job trains: --steps, else the workload's steps, else its
// epochs over `train_samples`; a trial's warm-up and timed steps.
int64_t total_steps(const TrainJob& job, int64_t train_samples);

constexpr int kTrialInfeasible = 3;  // a trial that ran out of memory (its rank file says so)
int train_job(const TrainJob& job, Communicator* comm, const volatile std::sig_atomic_t* stop_signal,
              const std::function<void(const std::string&)>& log);

}  // namespace saturn::train
