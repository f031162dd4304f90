// check_plan: proves a plan is one saturn can run. Used by the tests on every
// plan and baseline, and by `saturn plan` before it writes plan.json.
//
// Checks: every job is covered exactly once (by a chosen option, pinned ones
// included); each assignment names its option's node implicitly and exactly
// the option's number of distinct device ids, all on that node; its duration
// is the option's (pinned: start 0, end = remaining); starts are >= 0; no
// device is held by two assignments at once; every pinned option is kept on
// its devices; the makespan is the latest end. Returns one line per
// violation (empty: valid). Pure function.
#pragma once

#include <string>
#include <vector>

#include "plan/plan.h"
#include "plan/problem.h"

namespace saturn {

std::vector<std::string> check_plan(const PlanProblem& p, const Plan& plan);

}  // namespace saturn
