// `saturn data`: what each model will train on, before packing. For each
// model (or one), the first examples of its records as the model sees them:
// the rendered text with the trained spans marked (colour on a terminal,
// [[...]] otherwise), tokens and trained tokens per example; then totals
// (records, skipped, tokens, trained tokens, packed sequences at its
// seq_len, and the epochs its jobs' steps amount to). With `json`: one
// object per example per line, in file order ({"model", "where", "text",
// "ids", "trained", "tokens", "trained_tokens"}; "trained" is 0 or 1 per
// id, the end-of-text id last), then one {"model", "totals"} line per
// model. Reads only: nothing is written, the token cache included.
#pragma once

#include <cstdint>
#include <ctime>
#include <ostream>
#include <string>

#include "core/workload.h"
#include "report/terminal.h"

namespace saturn {

struct DataViewOptions {
  std::string model;            // "" = every model with records data
  std::string split = "train";  // train | valid
  int64_t limit = 3;            // examples shown per model (all are counted)
  bool json = false;
  Terminal term;                // colour for the trained spans
  std::time_t now = 0;          // what a chat template's strftime_now formats (0: now)
};

// Throws saturn::Error: Usage for an unknown --model or a split the data
// lacks; the data's own errors (Data, NoInput) as a run would give them.
void show_data(const Workload& w, const DataViewOptions& o, std::ostream& out);

}  // namespace saturn
