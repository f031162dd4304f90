// Text and jsonl data under a tokenizer, made ready before any job starts:
// every text or jsonl source of a model with a tokenizer (data.tokenizer, or
// its folder's tokenizer.json) is tokenized once (jsonl: packed at each
// seq_len its jobs use) into the token cache, or with `write_cache` false
// counted without writing anything (validate, dry runs, --slurm-script,
// profile --show); each job's vocab is checked against the tokenizer's.
// The eval: tasks' records are read and checked first (and every model
// must have a tokenizer to score them with).
// Returns the sizes, for step counts (job_steps), and a warning per jsonl
// file whose bad lines were skipped. Errors: saturn::Error (Data naming the
// model, the tokenizer and both sizes when the vocabulary is too small; the
// data's and the tokenizer's own errors otherwise).
#pragma once

#include <string>
#include <vector>

#include "core/job.h"
#include "core/workload.h"
#include "profile/runtime.h"

namespace saturn {

struct PreparedData {
  TextTokenCounts counts;
  std::vector<std::string> warnings;  // one line each
};

PreparedData prepare_text_data(const Workload& w, const JobSet& jobs, bool write_cache);

}  // namespace saturn
