// TrainJob: what one job's training on one rank is given (model, data,
// hyperparameters, technique and its knobs, device, folder, trial options),
// and the steps it trains. The training loop is train_loop.h; the
// techniques are techniques/.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/data_spec.h"
#include "core/finetune.h"
#include "core/hyperparams.h"
#include "core/model_spec.h"
#include "core/step_timing.h"
#include "core/technique.h"
#include "core/train_spec.h"

namespace saturn::train {

// A profiling trial instead of training: no checkpoints, metrics or
// result.json; warm-up steps, then timed steps until the median is stable.
struct TrialOptions {
  bool enabled = false;
  int64_t warmup = 3;           // untimed steps first (allocations, caches)
  StepTimingOptions timing;     // when the timed steps end (core/step_timing.h): the median known to 2%
  std::string run_dir;          // this rank writes run_files::trial_rank_path(run_dir, r)
  double earlier_s = 0;         // seconds this process spent timing earlier strategies: not this one's fixed cost
  int64_t rss_base = -1;        // >= 0: resident bytes before the process's first strategy; the peak counts from
                                // there, as if this one ran alone (else from this one's start)
};

struct TrainJob {
  std::string id;                 // the job id, for messages and result.json
  Arch arch = Arch::Gpt;
  Config config;                  // the job's config
  std::string module_path;        // torchscript: resolved path
  std::string from_dir;           // a Hugging Face folder (resolved): initial weights; "" = random
  Hyperparams hp;
  FinetuneSpec finetune;          // full, or LoRA adapters on a frozen base
  TrainSpec train;
  DataSpec data;
  std::function<std::string(const std::string&)> resolve;  // workload-relative path -> usable path
  std::string out_dir;            // the job's folder: metrics.jsonl, ckpt/, result.json
  int64_t steps = 0;              // overrides train.steps/epochs when > 0
  int64_t stop_at = 0;            // > 0: pause at this step (a rung): evaluate, checkpoint, stop without a result
  int64_t micro_batch = 0;        // samples per forward pass per rank; 0 = the whole local batch
  std::string device = "cpu";     // "cpu" or "cuda:N"
  Technique technique = Technique::Ddp;  // Single and Ddp are one (data parallel over the ranks, or one device);
                                        // Fsdp and Pipeline over one device are that too (techniques/)
  int64_t group_blocks = 1;       // fsdp, spill: blocks gathered or copied to the device together
  int64_t micro_batches = 0;      // pipeline: micro-batches per step (0 = 2 x stages, at most the batch)
  bool gpipe = false;             // pipeline: GPipe schedule (else 1F1B, the same bubble in less memory)
  bool recompute = true;          // fsdp, spill: recompute each group's activations in backward (else keep them)
  bool offload = false;           // fsdp: shards, gradients and optimizer state in host memory
  bool resume = true;             // continue from the newest valid checkpoint
  TrialOptions trial;
};

// The steps a job trains: --steps, else the workload's steps, else its
// epochs over `train_samples`; a trial's warm-up and timed steps.
int64_t total_steps(const TrainJob& job, int64_t train_samples);

}  // namespace saturn::train
