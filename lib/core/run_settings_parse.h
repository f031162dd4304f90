// Parsing of a workload's run settings (saturn-workload(5), TRAIN,
// TECHNIQUES, PLANNER, PROFILE): how each job trains, which parallelisms the planner
// may choose, and the planner's own settings. Each check fails with one
// positioned line (Field::fail, exit 65); nothing here writes anywhere.
#pragma once

#include <vector>

#include "technique.h"
#include "train_spec.h"
#include "yaml_field.h"

namespace saturn {

// train: steps or epochs, optimizer, schedule, logging, evaluation,
// checkpoint cadence (steps or a duration), precision, stall limits.
TrainSpec parse_train(const Field& f);
// planner: time_limit, threads, introspection.{interval, threshold}.
PlannerSpec parse_planner(const Field& f);
// profile: a mode (auto | full | none), or {mode, budget, margin}: budget a
// percentage of the predicted makespan ("5%") or a duration ("2m"), margin a
// percentage ("2%").
ProfileSpec parse_profile(const Field& f);
// techniques: one name or a list, no duplicates.
std::vector<Technique> parse_techniques(const Field& f);

}  // namespace saturn
