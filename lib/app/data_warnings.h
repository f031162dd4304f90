// Data warnings: numbers a person should see before a run spends hours on
// them, from the workload and its data's sizes (counted, nothing written):
// - a model `from` a Hugging Face folder whose seq_len is its config.json's
//   max_position_embeddings while the training data holds fewer than 8
//   sequences of that length (every step pads or repeats them);
// - jobs whose steps amount to more than 20 epochs of their data, or whose
//   data holds less than one batch of sequences.
// One line each, grouped per model and batch size (a grid's jobs share
// them). For `saturn validate` and once per run (its first start). Plain
// function; a source it cannot count is left to the checks that report it.
#pragma once

#include <string>
#include <vector>

#include "core/job.h"
#include "core/workload.h"
#include "profile/runtime.h"

namespace saturn {

std::vector<std::string> data_warnings(const Workload& w, const JobSet& jobs, const TextTokenCounts& counted);

// Throws saturn::Error (Data) naming the first job whose training data
// holds not one sequence (an empty file, text shorter than seq_len): every
// step needs one, and no restart would change that.
void check_data_yields(const Workload& w, const JobSet& jobs, const TextTokenCounts& counted);

}  // namespace saturn
