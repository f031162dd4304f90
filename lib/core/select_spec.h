// Selection (the workload's `select:`): the metric that ranks a run's jobs
// on the leaderboard and picks `saturn export`'s and `saturn generate`'s
// default job. valid_loss (the default; the training loss where there is no
// validation data), train_loss, or a task's eval.NAME.METRIC; mode max or
// min (default: max for task metrics, min for losses). Plain value type.
#pragma once

#include <string>
#include <vector>


namespace saturn {

struct Selection {
  std::string metric = "valid_loss";
  bool maximize = false;

  bool operator==(const Selection&) const = default;
};

// "METRIC max" / "METRIC min": how a run directory records it (state.db
// meta select), and back (the default for "").
std::string selection_text(const Selection& s);
Selection parse_selection_text(const std::string& text);

}  // namespace saturn
