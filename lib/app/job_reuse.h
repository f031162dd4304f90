// JobReuse: what a run directory's jobs become when its workload, perhaps
// edited, runs in it again (an iterative search). Jobs match by id and
// content hash (core/job.h: model, data, starting weights, training
// settings, steps, hyperparameters): the same hash keeps the job (done stays
// done, an unfinished one resumes from its checkpoint); a new id is added; an
// id whose hash changed is a new job under the old name: its old folder moves
// to RUN/replaced/<old hash>/<id> and it starts again. Jobs the workload no
// longer has keep their folders but leave the job table (the leaderboard);
// put back unchanged, they are done again. state.db remembers the hash of
// every job it ever had (meta `job_hashes`).
// Errors: saturn::Error (Data) when a run recorded before job hashes was
// made by other jobs (it cannot tell which are which).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/job.h"
#include "exec/state.h"

namespace saturn {

struct JobReuse {
  std::vector<std::string> reused;   // done, unchanged: not trained again
  std::vector<std::string> resumed;  // unfinished, unchanged: continue
  std::vector<std::string> added;    // ids the run never had
  std::vector<std::string> changed;  // the same id, new content: trained from scratch
  std::vector<std::string> dropped;  // in the job table, no longer in the workload
  std::vector<std::string> restored; // left out earlier, put back unchanged (also in reused or resumed)
  // The job set differs from the run's: plan what is left again.
  bool edited() const { return !added.empty() || !changed.empty() || !dropped.empty() || !restored.empty(); }
  // "reuses 6 done jobs, resumes 1, adds 2 new, ..." (the non-empty parts).
  std::string text(const std::string& run_dir) const;
};

// The run's job hashes: meta `job_hashes`, or for a run recorded before
// them, the current jobs' when `fingerprint` is the run's (else a Data
// error naming run_dir). Empty for a directory without a run.
std::map<std::string, std::string> stored_job_hashes(const RunState& st, const std::string& fingerprint,
                                                     const JobSet& jobs, const std::string& run_dir);

// `finished(id)`: whether an unchanged job without a done record has its
// result on disk (one left out, then put back); none: it has not.
JobReuse reconcile_jobs(const std::map<std::string, std::string>& stored, const std::vector<JobRecord>& records,
                        const JobSet& jobs, const std::function<bool(const std::string&)>& finished = {});

// Makes the directory match `r`: changed jobs' folders moved aside and their
// records reset, dropped records removed, every hash remembered, one
// "edit" event when the job set changed.
void apply_reuse(RunState& st, const std::string& run_dir, const JobReuse& r,
                 std::map<std::string, std::string> stored, const JobSet& jobs, double now);

// RUN/replaced/<hash>/<id>: where a changed job's old folder goes.
std::string replaced_dir(const std::string& run_dir, const std::string& hash, const std::string& job);

}  // namespace saturn
