// Launcher: where the runner meets the outside world. It starts one job's
// worker group (or a fused group's, known by its first job) on given devices of a node, asks it to stop, and waits for
// whatever happens next (a group exiting, a signal to the runner, a
// deadline) without busy polling. It also reads what a job's rank 0
// reported (progress, final result). The local launcher forks processes
// (local_launcher.h); a fake drives the runner's unit tests; a Slurm one
// runs job steps. One runner thread calls it.
#pragma once

#include <cstdint>
#include <optional>
#include <map>
#include <string>
#include <vector>

namespace saturn {

struct LaunchSpec {
  std::string job;                    // job id (a fused group's first: the group is known by it)
  std::vector<std::string> fused_with;  // technique fused: the group's other jobs, trained in the same workers
  int64_t attempt = 1;                // 1, 2, ... (for the log's name and messages)
  std::string technique;              // "single", "ddp", ...
  std::string knobs;                  // its settings, e.g. "micro=8" (WorkerArgs::apply_knobs)
  std::string node;                   // node name in the workload's cluster
  std::vector<int64_t> device_ids;    // devices of that node (count = the strategy's)
  int64_t stop_at = 0;                // > 0: the group pauses at this step (a rung) and exits 0
};

struct LaunchEvent {
  enum Kind { Exit, Signal } kind = Exit;
  std::string job;   // Exit: the job whose group ended
  int code = 0;      // Exit: its exit status (128 + n when killed by or stopped on signal n)
  int signal = 0;    // Signal: a signal the runner received (SIGINT, SIGTERM)
};

// What a job's workers reported so far (the current attempt and before).
struct JobProgress {
  int64_t step = 0;          // steps done by the last report (0: none yet)
  int64_t checkpoint = 0;    // step of the newest checkpoint (where a relaunch resumes)
  double step_time = 0;      // seconds per step measured in the current attempt (0: not yet)
  double loss = 0;           // training loss at `step`
  int64_t diverged = 0;      // > 0: its loss was not finite at this step (it cannot go on)
  std::string infeasible;    // non-empty: this attempt's strategy does not fit (out of memory): why
  // The group's heartbeat (its first job's): a count that moves while the
  // workers live, and what they do: "start" (loading, first step), "train",
  // "eval", "checkpoint". beat -1: none yet in this attempt.
  int64_t beat = -1;
  std::string phase;
};

// What a job reported at a checkpoint's step.
struct StepMetrics {
  double loss = 0;           // training loss
  double eval_loss = 0;      // validation loss (NaN: not evaluated there)
  std::map<std::string, double> tasks;  // eval.NAME.METRIC scored there (eval: tasks)
};

struct JobResult {
  int64_t steps = 0;
  double final_loss = 0;
  double eval_loss = 0;      // NaN without validation data
  int64_t tokens = 0;        // trained targets (0: unknown)
  double wall_s = 0;         // the last attempt's training time
};

class Launcher {
 public:
  virtual ~Launcher() = default;
  // Starts the job's worker group; throws saturn::Error when it cannot.
  virtual void start(const LaunchSpec& spec) = 0;
  // Asks a running job to stop: checkpoint at the next step and exit
  // (force = false), or kill it now (force = true). No-op if not running.
  virtual void stop(const std::string& job, bool force) = 0;
  // Blocks until a started job ends, the runner gets a stop signal, or
  // now() reaches `deadline`; returns what happened (empty at the deadline).
  virtual std::vector<LaunchEvent> wait(double deadline) = 0;
  // Seconds on the launcher's clock (monotonic).
  virtual double now() const = 0;
  // The process id a job runs as (0 where there is none).
  virtual int64_t pid(const std::string& job) const = 0;
  // What the job's rank 0 reported (metrics and checkpoints); `since_step`
  // is the step the current attempt started from (for its step time).
  virtual JobProgress progress(const std::string& job, int64_t since_step) = 0;
  // The job's result once it has finished all its steps.
  virtual std::optional<JobResult> result(const std::string& job) = 0;
  // The metrics stored with the job's checkpoint at `step` (nullopt: none).
  virtual std::optional<StepMetrics> checkpoint_metrics(const std::string& job, int64_t step) = 0;
  // Ends what an earlier runner left of worker group `pid` (one killed with
  // -9 leaves its groups checkpointing, or stopped): asks it to stop, waits
  // up to `grace` seconds, then kills it; false when none was there.
  virtual bool end_orphan(int64_t pid, double grace) {
    (void)pid;
    (void)grace;
    return false;
  }
  // The last line the job's workers wrote (its log), to say why it ended;
  // "" when there is none.
  virtual std::string last_words(const std::string& job) const {
    (void)job;
    return "";
  }
};

}  // namespace saturn
