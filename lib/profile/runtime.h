// Job runtime: what a job costs under a strategy, from its profile entry:
// step time x steps (epochs resolved through the data size) plus the job's
// fixed cost (the entry's startup: launch, set-up, rendezvous, the first
// steps' extra, exit; measured, else estimated), its evaluations (forward
// passes only: a third of a step per batch) and checkpoints (weights and
// optimizer state written at disk speed: at the end, and every
// checkpoint_every steps or checkpoint_seconds of training, 60 writes' time
// at least). Torch-free: data sizes come from
// file sizes and headers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "core/job.h"
#include "core/profile_entry.h"
#include "core/workload.h"

namespace saturn {

// Sizes of tokenized data, counted once per command (prepare_text_data):
// text_count_key -> a text's ids under a tokenizer; jsonl_count_key -> a
// jsonl train source's samples at a seq_len.
using TextTokenCounts = std::map<std::string, int64_t>;
std::string text_count_key(const std::string& text, const std::string& tokenizer);   // resolved paths
std::string jsonl_count_key(const Workload& w, const DataSpec& d, int64_t seq_len);

// Training samples the job's data holds (after the validation split), as
// the engine counts them. Tokenized text not in `counted` is counted through
// the token cache without writing to it (tok::count_text_tokens). Throws
// saturn::Error (NoInput) for a missing file.
int64_t train_samples(const Workload& w, const Job& job, const TextTokenCounts& counted = {});

// Optimizer steps the job trains (train.steps, or epochs x samples / batch).
int64_t job_steps(const Workload& w, const Job& job, const TextTokenCounts& counted = {});

struct JobRuntime {
  int64_t steps = 0;
  double train_s = 0, eval_s = 0, checkpoint_s = 0;
  double startup_s = 0;  // the job's fixed cost (ProfileEntry::startup)
  double total() const { return startup_s + train_s + eval_s + checkpoint_s; }
};

struct RuntimeOptions {
  double disk_bandwidth = 1e9;   // bytes/s a checkpoint is written at
};

// A job of `steps` steps (job_steps) under entry `e`; `state_bytes`:
// weights + optimizer state of the job (what a checkpoint holds).
JobRuntime job_runtime(const Workload& w, int64_t steps, const ProfileEntry& e, double state_bytes,
                       const RuntimeOptions& o = {});

}  // namespace saturn
