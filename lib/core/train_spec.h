// TrainSpec, PlannerSpec and ProfileSpec: how long and how every job trains,
// how the planner and introspection behave, and how much saturn measures
// before it plans. Plain value types with defaults.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eval_spec.h"

namespace saturn {

enum class Optimizer { AdamW, Sgd };
enum class Schedule { Constant, Cosine };  // cosine: linear warm-up then cosine decay to 0
enum class Precision { Auto, Fp32, Bf16 }; // auto: fp32 on cpu, bf16 autocast on cuda

const char* optimizer_name(Optimizer o);   // "adamw", "sgd"
const char* schedule_name(Schedule s);     // "constant", "cosine"
const char* precision_name(Precision p);   // "auto", "fp32", "bf16"

struct TrainSpec {
  int64_t steps = 0;              // optimizer steps; exactly one of steps/epochs is set
  double epochs = 0;              // passes over the training set (resolved with the data size)
  Optimizer optimizer = Optimizer::AdamW;
  Schedule schedule = Schedule::Cosine;
  double grad_clip = 1.0;         // global norm; 0 = off
  int64_t log_every = 10;         // steps between metrics lines
  int64_t eval_every = 0;         // steps between evaluations; 0 = only at the end
  int64_t eval_batches = 8;       // batches per evaluation
  int64_t checkpoint_every = 0;   // steps between checkpoints (0: none by steps)
  double checkpoint_seconds = 600;  // training seconds between checkpoints (0: none by time); either this or
                                  // checkpoint_every; every job also checkpoints at its end, its pauses and on a stop
  double stall_factor = 20;       // the runner restarts a group with no progress for stall_factor x its step time,
  double stall_floor = 300;       // but never sooner than this many seconds
  Precision precision = Precision::Auto;
  std::vector<EvalTask> eval;     // the workload's `eval:` tasks, scored on every job as it trains

  bool operator==(const TrainSpec&) const = default;
};

struct PlannerSpec {
  double time_limit = 10;             // seconds for the solver
  int64_t work_limit = 0;             // > 0: the solver's effort in branch-and-bound nodes instead of seconds
                                      // (the plan then depends on the workload and the store alone)
  int64_t threads = 1;                // solver threads
  double introspection_interval = 1000;  // seconds between re-plans; 0 = never
  double introspection_threshold = 500;  // seconds a new plan must gain to replace the old

  bool operator==(const PlannerSpec&) const = default;
};

// What `saturn run` measures before it plans (profile: in the workload).
// auto: the strategies whose measurement can change the plan, most decisive
// first, within a budget; the run's own first steps measure the rest.
// full: every strategy the store lacks. none: nothing (estimates and the store).
enum class ProfileMode { Auto, Full, None };
const char* profile_mode_name(ProfileMode m);  // "auto", "full", "none"

struct ProfileSpec {
  ProfileMode mode = ProfileMode::Auto;
  double budget_share = 0.05;   // auto: measurement at most this share of the predicted makespan...
  double budget_seconds = 0;    // ... or, when > 0, at most this many seconds
  double margin = 0.02;         // auto: measure strategies that could be in a plan within this share of the best

  bool operator==(const ProfileSpec&) const = default;
};

// Canonical text for hashing.
std::string canonical(const TrainSpec& t);

// Timed checkpoints: seconds of training between two (INFINITY: none by
// time): checkpoint_seconds, but under 2% of the time (1/61 at most): a
// checkpoint that took `last_save_s` seconds waits 60 times that for the next.
double checkpoint_interval(const TrainSpec& t, double last_save_s);

}  // namespace saturn
