// Text data under a tokenizer, made ready before any job starts: every text
// source of a model with a tokenizer (data.tokenizer, or its folder's
// tokenizer.json) is tokenized once (tok::text_tokens into the token cache,
// or with `write_cache` false tok::count_text_tokens, which writes nothing:
// validate, dry runs, --slurm-script, profile --show), and each job's vocab
// is checked against the tokenizer's. Returns the ids of each source, for
// step counts (job_steps). Errors: saturn::Error (Data naming the model, the
// tokenizer and both sizes when the vocabulary is too small; the
// tokenizer's own errors otherwise). Writes only the token cache.
#pragma once

#include "core/job.h"
#include "core/workload.h"
#include "profile/runtime.h"

namespace saturn {

TextTokenCounts prepare_text_data(const Workload& w, const JobSet& jobs, bool write_cache);

}  // namespace saturn
