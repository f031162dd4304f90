// EvalTask: a task every job is scored on while it trains (the workload's
// `eval:` list). Records of a prompt and its answer (kind generate: the
// greedy continuation, normalised, against the answer) or of a prompt,
// choices and the answer (kind choice: the choice whose continuation of the
// prompt is likeliest, lm-evaluation-harness's multiple-choice rule). A
// task's result is the metric eval.NAME.METRIC. Plain value types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace saturn {

enum class EvalKind { Generate, Choice };
const char* eval_kind_name(EvalKind k);  // "generate", "choice"

// The metrics of a kind: generate: exact_match, contains; choice:
// accuracy, accuracy_norm (each choice's log-likelihood over its UTF-8
// bytes). Each is a share of the records in [0, 1], higher is better.
const std::vector<std::string>& eval_metrics(EvalKind k);

// Normalisations of a generated text and its answer, applied in this order:
// strip (whitespace at both ends), lower (lower case), number (the first
// number in the text, as a decimal without a trailing zero or point; "" when
// there is none).
const std::vector<std::string>& eval_normalizations();

struct EvalTask {
  std::string name;            // [A-Za-z0-9][A-Za-z0-9._-]*, unique
  std::string data;            // the records' path (absolute once parsed): a file, glob or folder
  std::string reader = "jsonl";  // the records reader (jsonl, json, csv, parquet, arrow)
  EvalKind kind = EvalKind::Generate;
  std::string metric;          // one of eval_metrics(kind)
  std::vector<std::string> normalize;  // generate only: some of eval_normalizations()
  int64_t max_new_tokens = 32; // generate: new tokens at most per record
  int64_t limit = 0;           // the first `limit` records (0: all)
  int64_t every = 0;           // steps between scorings (0: train.eval_every); also at the end and at rungs

  // "eval.NAME.METRIC": the name in metrics.jsonl, select and early_stopping.
  std::string metric_key() const { return "eval." + name + "." + metric; }
  bool operator==(const EvalTask&) const = default;
};

// `text` under the normalisations `steps` (in eval_normalizations' order).
// lower folds ASCII letters (answers are compared, not displayed).
std::string normalize_answer(const std::string& text, const std::vector<std::string>& steps);

// Whether a generated `completion` scores against `answer` under task `t`'s
// metric (exact_match: equal once both are normalised; contains: the
// normalised answer is in the normalised completion, and not empty).
bool answer_matches(const EvalTask& t, const std::string& completion, const std::string& answer);

// "name=...,data=...,..." of every task, for hashes.
std::string canonical(const std::vector<EvalTask>& tasks);

}  // namespace saturn
