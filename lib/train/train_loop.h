// The training loop: one job on one rank (single device, or one rank of a
// data-parallel, sharded or pipelined group over a communicator), or a fused
// group of K jobs on one device, through the technique of the jobs
// (techniques/technique.h). The loop owns the cadence for all of them:
// learning rates, metrics.jsonl lines, evaluation, checkpoints, result.json
// (rank 0 writes), resuming each job from its newest valid checkpoint, stop
// signals, and a profiling trial's timing.
//
// Jobs at different steps train together (a resumed fused group); a job
// that finishes stops learning while the others go on. Every rank agrees on
// each step's losses, a stop and a trial's end through one small all-reduce
// per step.
#pragma once

#include <csignal>
#include <functional>
#include <string>
#include <vector>

#include "train/comm/comm.h"
#include "train/train_job.h"

namespace saturn::train {

// A trial that ran out of memory: its rank file says so, the launcher stops
// the other ranks.
constexpr int kTrialInfeasible = 3;

// Trains `jobs` (one, or several with Technique::Fused: the same model,
// batch size, data, training settings and steps). Returns 0 when done, or
// 128 + the signal number after checkpointing every unfinished job when
// `stop_signal` (set by a signal handler) becomes non-zero. `comm` is null
// for one device. Progress goes to `log` (rank 0 only).
//
// In a trial (jobs' trial.enabled) there are no checkpoints, metrics or
// result.json: each rank writes run_files::trial_rank_path with the median
// step time, spread, timed steps, startup and peak memory (CPU: RSS growth;
// CUDA: peak reserved bytes), or an infeasible one ("out of memory: ...")
// and returns kTrialInfeasible. Throws saturn::Error for bad data or
// configuration.
int train(const std::vector<TrainJob>& jobs, Communicator* comm, const volatile std::sig_atomic_t* stop_signal,
          const std::function<void(const std::string&)>& log);

}  // namespace saturn::train
