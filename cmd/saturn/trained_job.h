// A run's trained job as export and generate name it: RUN and JOB (default:
// the leaderboard's best), checked against the workload the run was made
// from. Errors are saturn::Error: NoInput (not a run directory), Usage (an
// unknown job), Data (the workload changed since, or no job is done).
#pragma once

#include <string>

#include "train/trained_job.h"

namespace saturn::cmd {

struct RunJob {
  std::string id;             // the job's id
  train::TrainedJob job;      // what rebuilds its model
};

// `command` ("export", "generate") names the command in its messages.
RunJob find_run_job(const std::string& run, const std::string& job, const std::string& command);

}  // namespace saturn::cmd
