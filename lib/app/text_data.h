// Text data under a tokenizer, made ready before any job starts: every text
// source of a model with a tokenizer (data.tokenizer, or its folder's
// tokenizer.json) is tokenized once into the token cache
// (tok::text_tokens), and each job's vocab is checked against the
// tokenizer's. Errors: saturn::Error (Data naming the model, the tokenizer
// and both sizes when the vocabulary is too small; the tokenizer's own
// errors otherwise). Writes only the token cache.
#pragma once

#include "core/job.h"
#include "core/workload.h"

namespace saturn {

void prepare_text_data(const Workload& w, const JobSet& jobs);

}  // namespace saturn
