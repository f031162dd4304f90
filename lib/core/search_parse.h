// Parsing of a workload's search section (saturn-workload(5), SEARCH): the
// grid, the sampled search, early stopping and the selection of the best. Each check fails with one
// positioned line (Field::fail, exit 65); nothing here writes anywhere.
#pragma once

#include <vector>

#include "early_stopping.h"
#include "eval_spec.h"
#include "grid.h"
#include "model_spec.h"
#include "random_search.h"
#include "select_spec.h"
#include "yaml_field.h"

namespace saturn {

struct Workload;

// A searched key's type and bounds (a config key's: every model's at once).
struct SearchKey {
  ValueType type = ValueType::Real;
  double min = 0, max = 0;
  bool min_open = false, max_open = false;
};
SearchKey search_key(const Field& key, const std::vector<ModelSpec>& models);

// search.grid; config-key axes must be keys of every model in `models`.
Grid parse_grid(const Field& f, const std::vector<ModelSpec>& models);
// search.random: trials, seed, and one distribution per other key.
RandomSearch parse_random(const Field& f, const std::vector<ModelSpec>& models, const Grid& grid);
// search.early_stopping: a rule name, or a mapping with rule and its settings.
EarlyStopping parse_early_stopping(const Field& f);
// What early stopping needs of the rest of the workload: validation data for
// metric valid_loss, a first rung below the steps.
void check_early_stopping(const Field& f, const Workload& w);
// select: {metric, mode} or select: METRIC (core/select_spec.h); a task
// metric must be one of `tasks`' metric_key().
Selection parse_select(const Field& f, const std::vector<EvalTask>& tasks);

}  // namespace saturn
