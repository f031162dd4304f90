// Runner: executes a plan with a Launcher and keeps state.db true.
//
// It is an event loop over what the launcher reports (a job's worker group
// exiting, a stop signal) and its own timers (progress reads, re-plans);
// it sleeps in Launcher::wait in between. Jobs start in plan order per
// device (dispatch.h). The runner is the only writer of the RunState.
//
// - Fresh run: records the jobs, solves the plan (or takes the one given)
//   and stores it as plan version 1.
// - Resume (the RunState already has jobs): done jobs stay done; jobs that
//   were running when a runner died are relaunched and continue from their
//   checkpoints (their attempts are marked lost); failed jobs get a new
//   restart budget; the stored plan keeps every job's strategy, so a
//   resumed job trains exactly as it would have.
// - Faults: a worker group that exits non-zero is relaunched from its
//   checkpoint up to max_restarts times, then the job is failed and the
//   others go on. One that a signal from outside stopped cleanly (exit
//   128 + SIGTERM/SIGINT/SIGUSR1, e.g. Slurm preemption) after getting
//   further starts again from its checkpoint without spending a restart.
//   One that stalls (no heartbeat, or no step while training, for the
//   stall limit; evaluations and checkpoints count as progress) is
//   stopped, killed after a grace period, and restarted as a failure.
// - Introspection: every `interval` seconds, re-plan the unfinished jobs
//   with remaining steps and measured step times (a shape's measured/planned
//   ratio also corrects its jobs that have not run); the new plan replaces
//   the current one (re-timed the same way) only when it finishes at least
//   `threshold` seconds sooner. Running jobs keep running unless moving them
//   (checkpoint, stop, relaunch elsewhere) is what gains; only those stop.
//   A job keeps its global batch on any device count (the engine splits it).
//   With learn_margin, a job's first step rate that is off the plan re-plans
//   at once (the run as the measurement: profile: auto). A strategy that
//   turns out not to fit (out of memory) is dropped and re-planned at once,
//   no restart spent.
// - Early stopping (o.early_stopping): groups are launched to their jobs'
//   next rung and pause there; each decision is stored (RunState rungs)
//   before it is acted on. Jointly planned (rung_replan), each decision
//   re-plans the next wave (the open jobs that passed the fewest rungs) to
//   its next rung around the running groups, not on the timer; with a
//   fixed plan a stopped job's devices idle for its planned remainder. A
//   diverged job stops at its next rung (fails without early stopping).
// - Stop: the first SIGINT/SIGTERM/SIGUSR1 (Slurm's warning before a time
//   limit) asks every group to checkpoint and exit,
//   then run() returns 128 + the signal; a second SIGINT kills them at once.
//
// Not thread safe. Errors: saturn::Error (a launch that cannot start is
// counted as a failed attempt, not thrown).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/early_stopping.h"
#include "exec/launcher.h"
#include "exec/state.h"
#include "plan/plan.h"
#include "plan/problem.h"
#include "plan/solve.h"

namespace saturn {

struct RunJob {
  std::string shape;       // jobs of one shape share measured step-time corrections
  int64_t steps = 1;       // optimizer steps it trains
  std::vector<int64_t> rungs;  // early stopping: the steps it is compared at (rung_steps), ascending
  int64_t bracket = 0;     // early stopping: its bracket
};

struct RunInput {
  PlanProblem problem;     // every job, with each option's full duration
  std::vector<RunJob> jobs;  // parallel to problem.jobs
  std::vector<double> step_s;  // per option: its planned step seconds (empty or 0: duration / steps)
};

// What a progress display shows.
struct RunSnapshot {
  struct Job {
    std::string id;
    JobStatus status = JobStatus::Pending;
    int64_t step = 0, steps = 0;
    std::string strategy;    // running: "ddp x2 on local [0,1]"
    double loss = NAN;       // running: the training loss it last reported (NaN: none yet)
    double step_s = 0;       // running: seconds per step in this attempt (0: not known yet)
  };
  std::vector<Job> jobs;
  double elapsed = 0;        // seconds since this runner started
  double eta = -1;           // predicted seconds to the end (-1 unknown)
  int64_t plan_version = 0;
};

struct RunOptions {
  int64_t max_restarts = 2;          // relaunches after failures per job (per runner)
  double interval = 0;               // seconds between re-plans; 0 = never
  double threshold = 0;              // seconds a new plan must gain
  double restart_cost = 3;           // seconds a moved job loses (checkpoint, relaunch), in re-plans
  PlanOptions plan;                  // the initial plan's solver settings
  double replan_time_limit = 2;      // solver seconds per re-plan
  std::optional<Plan> initial;       // a fresh run executes this plan instead of solving
  std::string initial_reason = "initial";  // how the initial plan was made (stored with it)
  bool keep_stored_plan = true;      // on resume, continue the stored plan (false: the workload was edited)
  double tick = 1;                   // seconds between progress reads and snapshots
  std::function<std::string(const Plan&)> plan_doc;  // the plan.json text stored per version ("" = plan_json)
  std::function<void(const EventRecord&)> on_event;  // each event as it is recorded
  std::function<void(const RunSnapshot&)> on_tick;   // every tick
  std::function<double()> wall_clock;  // seconds since the epoch, for state.db (default: system clock)
  EarlyStopping early_stopping;      // rule none: every job runs to its end
  bool rung_replan = true;           // early stopping planned jointly (false: the plan stays fixed, as without a planner)
  // Stall watchdog: a group whose heartbeat stops, or whose step stays put
  // while it trains, for max(stall_factor x its step time, stall_floor)
  // seconds gets a stop (SIGTERM), then a kill after stall_grace seconds,
  // and is restarted from its checkpoint as a failure (a restart spent).
  double stall_factor = 20;
  double stall_floor = 300;
  double stall_grace = 10;
  // Learning from the run: each job's first measured step rate of an
  // attempt goes to on_rate; one off its planned step (RunInput::step_s) by
  // more than learn_trigger re-plans at once (not on the timer), and the new
  // plan is adopted when it gains learn_margin of the remaining makespan or
  // the threshold, whichever is less. learn_margin 0: off (the timer only).
  double learn_margin = 0;
  double learn_trigger = 0.1;
  std::function<void(size_t job, size_t option, double step_time)> on_rate;
  // A group whose strategy does not fit (its workers wrote infeasible.json:
  // out of memory): the strategy is recorded (on_infeasible), never planned
  // again for its shape, and what is left is re-planned at once; the job
  // starts again from its checkpoint without spending a restart (it fails
  // when no strategy is left).
  std::function<void(size_t job, size_t option, const std::string& reason)> on_infeasible;
};

struct RunSummary {
  int exit_code = 0;                 // 0 all done; 75 some failed; 128+n stopped on signal n
  int64_t done = 0, failed = 0, pending = 0, stopped = 0;  // stopped: early, at a rung
  double elapsed = 0;                // seconds from the first launch to the last exit
  double predicted = 0;              // the initial plan's makespan (its remaining part on resume)
  int64_t plan_versions = 0;         // plan versions this runner made
  bool resumed = false;
};

RunSummary run_plan(const RunInput& in, RunState& state, Launcher& launcher, const RunOptions& o);

}  // namespace saturn
