// Profile forecast: what `saturn profile` (and `saturn run`, before it
// plans) would measure for a workload, and about how long it takes, without
// running anything. Trials are chosen by the profiler's own rule
// (trial_need); each lasts its job's fixed cost plus the warm-up and the
// timed steps (as many as this store's measurements took, median; else 10)
// at the step time the estimator gives (calibrated by what is stored);
// trials share the devices as the profiler places them (TrialSlots), and
// one process times a batch of them (trial_batches.h), paying the shared
// part of the fixed cost once. Plain functions.
#pragma once

#include <cstdint>
#include <string>

#include "core/job.h"
#include "core/workload.h"
#include "profile/estimator.h"
#include "profile/store.h"
#include "profile/trials.h"

namespace saturn {

// What the profiler does with one trial: not a trial of this workload (a
// gradient accumulation while less accumulation fits), already measured
// (stored), run it, or store it over budget by saturn's accounting.
enum class TrialNeed { NotNeeded, Stored, Run, OverBudget };
TrialNeed trial_need(const Trial& t, const JobSet& jobs, const std::vector<DeviceGroup>& groups,
                     const ProfileStore& store, const Estimator& accounting, bool refresh);

// How many steps a trial times on this machine: the median of the store's
// measurements (at most the trial's cap), else 10.
double stored_timed_steps(const ProfileStore& store);
// Seconds one trial of `key` lasts: its fixed cost, the warm-up and
// `timed_steps` steps at the step `est` gives (a tenth of a second for a
// shape it cannot cost).
// `slow_edge`: as long as it may take: the step at its band's slow edge,
// and an uncalibrated fixed cost (nothing measured on the device model) twice.
double trial_seconds(const Estimator& est, const JobShape& shape, const ProfileKey& key, double timed_steps,
                     bool slow_edge = false);

// The part of a trial's fixed cost that its process pays once for all the
// strategies it times (trial_batches.h): half a one-device job's fixed cost
// (libraries, CUDA context, the workload; each strategy builds its own
// model), and on several devices the ranks' rendezvous.
double shared_fixed_cost(const Estimator& est, const ProfileKey& key);

struct ProfileForecast {
  int64_t trials = 0;      // trials to run
  int64_t unavailable = 0; // of them on devices not here (cuda without CUDA): skipped, estimated
  double seconds = 0;      // wall time of those that run here
  double where_s = 0;      // wall time of all of them where their devices are (a GPU node's measurement)
};

// "8 trials (about 6.9 s)": those that run here; "" when none do.
std::string forecast_text(const ProfileForecast& f);

// `cuda_here`: whether this machine has CUDA (a cuda group's trials are
// otherwise skipped, not run).
// `only`: just these trials (null: every one the store lacks).
ProfileForecast forecast_profile(const Workload& w, const JobSet& jobs, const ProfileStore& store, bool cuda_here,
                                 bool refresh = false, const std::vector<ProfileKey>* only = nullptr);

}  // namespace saturn
