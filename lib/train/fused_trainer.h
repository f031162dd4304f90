// The training loop of a fused group (fused_model.h): K jobs of one model
// and batch size, differing in hyperparameters and seed, trained as one
// model on one device. Each job draws its own batches from its own seeded
// sampler, follows its own learning-rate schedule and gradient clipping, and
// writes its own metrics.jsonl, checkpoints (the single-job format, so it
// can continue unfused) and result.json in its own folder. Each job resumes
// from its own newest checkpoint; jobs at different steps train together,
// and a job that finishes stops updating while the others go on. Stops at a
// step boundary with every unfinished job checkpointed when `stop_signal`
// becomes non-zero.
#pragma once

#include <csignal>
#include <functional>
#include <vector>

#include "train/trainer.h"

namespace saturn::train {

// Every job has the same arch, config, data, train spec, batch size, device
// and trial options; ids, hyperparameters and out_dirs differ. With
// trial.enabled, times fused steps (warm-up, then until stable) and writes
// <trial.out>/rank-0.json as train_job does. Returns 0 when done, 128 + the
// signal after checkpoints when stopped. Throws saturn::Error.
int train_fused(const std::vector<TrainJob>& jobs, const volatile std::sig_atomic_t* stop_signal,
                const std::function<void(const std::string&)>& log);

}  // namespace saturn::train
