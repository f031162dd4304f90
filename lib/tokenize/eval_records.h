// The records of an eval task (core/eval_spec.h), read and checked: a
// "prompt" string and an "answer" (generate: a string, or a number read as
// its JSON text; choice: the index of the right one of "choices", two or
// more strings, or its text). Torch-free: `saturn validate` and `run` check
// them before any work; the worker scores them (train/eval/task_eval.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/eval_spec.h"

namespace saturn::tok {

struct EvalRecord {
  std::string prompt;                // as written
  std::string answer;                // generate
  std::vector<std::string> choices;  // choice
  int64_t right = -1;                // choice: the answer's index
  std::string where;                 // "FILE:LINE", "FILE: row N", ...
};

// The task's records (the first `limit`). Throws saturn::Error: Data
// ("FILE:LINE: field: what" for a bad record; "FILE: no records (eval task
// NAME)"), NoInput when the data cannot be read.
std::vector<EvalRecord> read_eval_records(const EvalTask& t);

}  // namespace saturn::tok
