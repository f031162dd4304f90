// What `saturn run` and `saturn status` show of a run: the leaderboard (jobs
// ranked by final validation loss, else final training loss, with their
// hyperparameters, strategy and wall time), the job table, and a run
// directory's state as JSON. Reads a RunState; prints nothing itself.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/job.h"
#include "exec/state.h"
#include "report/terminal.h"

namespace saturn::cmd {

// `jobs` may be null (status without the workload): hyperparameters are
// then left out.
std::string leaderboard_text(const RunState& st, const JobSet* jobs, const Terminal& term);
nlohmann::json leaderboard_json(const RunState& st, const JobSet* jobs);

// The leaderboard's first job (the best done one), or "" when none is done.
std::string best_job(const RunState& st);

// Everything state.db holds, for `saturn status --json`.
nlohmann::json status_json(const RunState& st, const std::string& run_dir);
std::string status_text(const RunState& st, const std::string& run_dir, const Terminal& term);

}  // namespace saturn::cmd
