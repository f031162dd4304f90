// Task evaluation in the worker: the workload's `eval:` tasks
// (core/eval_spec.h) scored on a job's model at its evaluation points, on
// their records (tokenize/eval_records.h). A prompt is rendered as
// training renders the job's chats: a user's turn of the chat template with
// its generation prompt, where the job's data has a template (its
// tokenizer folder's, or the one the data names), else its own text.
//   generate: greedy continuations (batches of 16, generate/generate.h)
//     up to max_new_tokens or a stop id (stop_ids.h), without the stop id,
//     matched against the answer (answer_matches).
//   choice: each choice's log-likelihood as a continuation of the prompt
//     (the whole text tokenized, the prompt's ids split off, whitespace
//     ending the prompt moved to the choice, as lm-evaluation-harness does;
//     after a plain prompt the choice follows a space, after a chat's
//     generation prompt nothing); accuracy: the most
//     likely is the answer; accuracy_norm: the likeliest per UTF-8 byte.
// Rank 0 only; the model in evaluation mode, without gradients.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/eval_spec.h"
#include "tokenize/eval_records.h"
#include "train/models/block_model.h"
#include "train/train_job.h"

namespace saturn::tok {
class ChatTemplate;
class Tokenizer;
}  // namespace saturn::tok

namespace saturn::train {

// Whether some task of `t` scores at `step`: every task's `every` (else
// train.eval_every), and always at the last step and at a pause (a rung).
bool task_eval_due(const TrainSpec& t, int64_t step, int64_t total, int64_t pause);

class TaskEvaluator {
 public:
  // Reads every task's records (the first `limit`), the job's tokenizer and
  // chat template. Throws saturn::Error: Data ("FILE: record N: field:
  // what", or a task without a tokenizer), NoInput.
  explicit TaskEvaluator(const TrainJob& job);
  ~TaskEvaluator();

  // The tasks due at `step` scored with `model`: {"eval.NAME.METRIC": share}.
  nlohmann::json run(BlockModel& model, int64_t step, int64_t total, int64_t pause);

  // Choice task `task`'s log-likelihood of each record's choices (as
  // score_choice ranks them), in record order.
  std::vector<std::vector<double>> loglikelihoods(BlockModel& model, size_t task);

 private:
  double score_generate(BlockModel& model, const EvalTask& t, const std::vector<tok::EvalRecord>& rs);
  double score_choice(BlockModel& model, const EvalTask& t, const std::vector<tok::EvalRecord>& rs);

  TrainSpec train_;
  std::unique_ptr<tok::Tokenizer> tokenizer_;
  std::unique_ptr<tok::ChatTemplate> chat_;
  std::vector<int64_t> stop_;
  int64_t pad_ = 0, max_positions_ = 0;
  std::vector<std::vector<tok::EvalRecord>> records_;  // per task, prompts rendered
};

}  // namespace saturn::train
