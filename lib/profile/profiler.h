// Profiler: measures a workload's trials and stores what it measured.
//
// Trials already in the store are skipped (unless refresh). A trial whose
// memory by saturn's own accounting is over its devices' budget is stored
// infeasible without running. The others run as `saturn worker --trial`
// process groups, several at once on disjoint devices of the groups' nodes;
// each result is stored as soon as it comes (a trial that fails on the
// workload's input stops the profiling: every trial would); CUDA out of memory, or a cpu
// trial whose measured peak RSS is over the budget, is stored infeasible
// with its reason. A group whose devices this machine cannot run (cuda
// without CUDA) is skipped with a message: the estimator covers it. When
// `stop` becomes non-zero (a signal), the running trials are killed and
// what was measured stays stored. Single-threaded; events come through
// `on_event` on the caller's thread. Trials run in a TrialPool
// (trial_pool.h) on devices that TrialSlots (trial_slots.h) hands out; what
// each one means is classify_trial (trial_outcome.h).
#pragma once

#include <csignal>
#include <functional>
#include <string>
#include <vector>

#include "core/job.h"
#include "core/workload.h"
#include "profile/store.h"
#include "profile/trials.h"

namespace saturn {

struct ProfileEvent {
  enum Kind { Start, Done, Skip, Fail } kind = Start;
  const Trial* trial = nullptr;
  const ProfileEntry* entry = nullptr;  // Done: what was stored
  std::string message;                  // Skip/Fail: why
  int done = 0, total = 0, running = 0; // trials finished (any outcome), to run, running now
  double eta_s = -1;                    // seconds left, once one trial has finished; -1 unknown
};

struct ProfileOptions {
  std::string workload_path;            // the file trial workers read
  std::string saturn;                   // this saturn executable
  std::string scratch;                  // folder for trial run dirs and logs; made and removed
  bool refresh = false;                 // re-measure trials the store has
  bool batches = true;                  // a process times a batch of trials (trial_batches.h); false: one each
  bool cuda_here = false;               // resolves `auto` nodes
  std::string version;                  // written into each entry
  const volatile std::sig_atomic_t* stop = nullptr;
  std::function<void(const ProfileEvent&)> on_event;
  class TrialPool* pool = nullptr;      // where trials run; null = worker processes of `saturn` here
  const std::vector<ProfileKey>* only = nullptr;  // run only these trials (null: every one the store lacks)
};

struct ProfileSummary {
  int64_t trials = 0;        // enumerated and needed (accumulation only where less does not fit)
  int64_t stored = 0;        // skipped: already in the store
  int64_t measured = 0;      // ran and stored (feasible or out of memory)
  int64_t over_budget = 0;   // stored infeasible by accounting or peak RSS
  int64_t unavailable = 0;   // skipped: devices not here
  int64_t failed = 0;        // a worker failed for another reason (nothing stored)
  int64_t processes = 0;     // trial processes started (a process times a batch of trials)
  int64_t naive = 0;         // jobs x techniques x device counts
  bool interrupted = false;
  std::string bad_input;     // a trial failed on the workload's input (exit 65 or 66): what it said; profiling stopped
  double wall_s = 0;
};

ProfileSummary run_profile(const Workload& w, const JobSet& jobs, ProfileStore& store, const ProfileOptions& o);

}  // namespace saturn
