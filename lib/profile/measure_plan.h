// Measure plan: which strategies are worth measuring before a plan is made
// (`profile: auto`), from estimates that know their error bands.
//
// A candidate is a strategy (a row of the workload's view: shape, device
// group, technique, device count, fused group size) that is estimated, not
// measured, and has trials this machine can run. Its verdict:
//
// - skipped when it cannot be in a plan within `margin` of the best: even at
//   the fast edge of its band (estimate / (1 + width)), every plan using it
//   lasts longer than (1 + margin) x the plan made from the estimates re-timed
//   at every estimate's slow edge (a lower bound: the option itself, and the
//   workload's cheapest device-seconds with it, over all devices);
// - skipped when measuring it costs more than it can gain: its gain is how
//   much sooner the plan would end if it were at its band's fast edge, or,
//   for a strategy in the plan, how much a re-plan would save were it at its
//   slow edge (each a heuristic plan, heuristic.h);
// - else measured, the most decisive first (gain per second of trial), while
//   the budget lasts.
//
// Pure functions over plain values; deterministic (the heuristic planner is).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/job.h"
#include "core/profile_entry.h"
#include "core/workload.h"
#include "plan/plan.h"
#include "profile/profile_forecast.h"
#include "profile/store.h"
#include "profile/trials.h"
#include "profile/workload_problem.h"

namespace saturn {

struct MeasureCandidate {
  size_t row = 0;                   // into WorkloadProblem::view
  std::vector<ProfileKey> trials;   // what measuring it runs (its knob settings the store lacks)
  double cost_s = 0;                // their forecast seconds
  double cost_hi_s = 0;             // ... at the slow edge of the estimates (what the budget must allow)
  // Filled by choose_measurements:
  bool in_plan = false;             // the plan from the estimates uses it
  double best_s = 0;                // a lower bound on any plan that uses it
  double gain_s = 0;                // how much sooner a plan could end once it is known
  bool measure = false;
  std::string why;                  // the verdict in words
};

struct MeasureOptions {
  double margin = 0.02;             // a plan within this share of the best is as good
  double budget_s = -1;             // seconds of measurement allowed; < 0: budget_share of the plan's makespan
  double budget_share = 0.05;
  double solve_s = 0.05;            // heuristic seconds per what-if plan
};
// A workload's options (profile: margin and budget) for jobs of `steps`
// steps: under early stopping the budget's share is of the makespan the
// search is expected to take (expected_work_share), not of every job to its end.
MeasureOptions measure_options(const Workload& w, int64_t steps);

struct MeasureChoice {
  Plan plan;                        // the plan from the estimates
  double upper_s = 0;               // that plan re-timed at every estimate's slow edge
  std::vector<MeasureCandidate> candidates;  // each with its verdict, in row order
  std::vector<size_t> order;        // indexes into candidates to measure, most decisive first
  std::vector<ProfileKey> trials;   // their trials, in that order
  double cost_s = 0;                // their forecast seconds, summed
  double cost_hi_s = 0;             // ... at the slow edge of the estimates, summed (within the budget)
  double budget_s = 0;              // the budget it was chosen within
  size_t skipped() const { return candidates.size() - order.size(); }
};

// The candidates of a workload: its estimated rows' trials that the store
// lacks and this machine can run (cuda groups only with `cuda_here`; with
// `elsewhere` those too, for a forecast of a run where they are), with each
// trial's forecast seconds (profile_forecast.h).
std::vector<MeasureCandidate> measure_candidates(const Workload& w, const JobSet& jobs, const WorkloadProblem& wp,
                                                 const ProfileStore& store, bool cuda_here, bool elsewhere = false);

// The verdicts and the choice, for the options of `wp` whose bands are set.
MeasureChoice choose_measurements(const WorkloadProblem& wp, std::vector<MeasureCandidate> candidates,
                                  const MeasureOptions& o);

// A plan's items re-timed with other durations (per option), each device
// keeping its order: the plan's makespan if those were the durations.
double retime(const Plan& plan, const PlanProblem& p, const std::vector<double>& durations);

// What `saturn run` would measure before it plans under `mode`, running
// nothing: full, every trial the store lacks; auto, the choice from the
// estimates (the first round's: later rounds follow its results); none,
// nothing; the forecast's where_s counts the trials on devices not here as
// if run where they are. `choice`, when given, receives auto's verdicts.
ProfileForecast forecast_measurement(const Workload& w, const JobSet& jobs, const WorkloadProblem& wp,
                                     const ProfileStore& store, bool cuda_here, ProfileMode mode,
                                     MeasureChoice* choice = nullptr);

}  // namespace saturn
