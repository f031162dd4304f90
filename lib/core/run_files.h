// The files that cross the `saturn worker` process boundary
// (docs/ARCHITECTURE.md, "The process boundary"): where they lie in a run
// directory and what they hold. Workers write them (lib/train); the runner
// and the profiler read them (lib/exec, lib/profile). Both sides call these
// functions, so each path and schema is written down once.
//
// Readers expect files a worker may have left behind half-done or corrupt:
// they return nullopt for a file that is absent (or a metrics line that is
// not a training line), and throw saturn::Error (Data) with one line naming
// the file and what is wrong when it is malformed. Stateless; thread safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace saturn::run_files {

// <run_dir>/state.db: the runner's state (exec/state.h); <run_dir>/plan.json:
// the plan being executed.
std::string state_path(const std::string& run_dir);
std::string plan_path(const std::string& run_dir);
// <run_dir>/jobs/<job>/: everything one job's rank 0 writes.
std::string job_dir(const std::string& run_dir, const std::string& job);
// <run_dir>/logs/<job with '/' as '_'>.log: a job's workers' output.
std::string log_path(const std::string& run_dir, const std::string& job);
std::string metrics_path(const std::string& job_dir);     // metrics.jsonl
std::string result_path(const std::string& job_dir);      // result.json
std::string checkpoint_dir(const std::string& job_dir);   // ckpt/
// <run_dir>/trial/: a profiling trial's rank files (its run_dir is scratch).
std::string trial_dir(const std::string& run_dir);
std::string trial_rank_path(const std::string& run_dir, int rank);
// The run dir of setting `i` of a trial that times several (WorkerArgs::
// also): `run_dir` itself for the first, <run_dir>/also-I for the others.
std::string trial_setting_dir(const std::string& run_dir, size_t i);

// Checkpoints: ckpt/step-NNNNNNNNNN.pt with the manifest step-NNNNNNNNNN.json
// beside it (the manifest is written last: a checkpoint exists when it does).
std::string checkpoint_stem(int64_t step);                            // "step-0000000050"
std::optional<int64_t> checkpoint_step(const std::string& file_name);  // of "step-N.json"; else nullopt
std::vector<int64_t> checkpoint_steps(const std::string& ckpt_dir);    // manifests there, newest first
int64_t newest_checkpoint(const std::string& job_dir);                 // its step; 0 when none
// The manifest's meta of the checkpoint at `step` ({"loss", "eval_loss"
// when evaluated there, ...}); nullopt when there is none.
std::optional<nlohmann::json> checkpoint_meta(const std::string& job_dir, int64_t step);

// diverged.json: the step whose training loss was not finite, written by
// rank 0 before the worker fails (a diverged job is not retried).
std::string diverged_path(const std::string& job_dir);
std::optional<int64_t> read_diverged(const std::string& job_dir);  // its step; nullopt without the file

// heartbeat.json: rank 0 of a running worker group rewrites it every few
// seconds (in its lead job's folder) with its step, phase and a count of
// writes. A count that moves says the group lives (read on the runner's
// clock, so no two clocks are compared); its step and phase say whether
// training moves.
// infeasible.json: {"reason"}: the attempt's strategy does not fit its
// devices (out of memory), written by the worker that hit it before it
// fails; the launcher removes it at each launch. The runner records the
// strategy infeasible and plans the job again without it.
std::string infeasible_path(const std::string& job_dir);
std::optional<std::string> read_infeasible(const std::string& job_dir);  // its reason; nullopt without the file

std::string heartbeat_path(const std::string& job_dir);
struct Heartbeat {
  int64_t step = 0;          // steps done
  std::string phase;         // "start" (loading, first step), "train", "eval", "checkpoint"
  int64_t beat = 0;          // writes so far in this attempt
};
nlohmann::json to_json(const Heartbeat& h);
std::optional<Heartbeat> read_heartbeat(const std::string& job_dir);  // nullopt: none (or half-written)

// result.json: written once a job has trained all its steps.
struct Result {
  std::string job;
  int64_t steps = 0;
  double final_loss = 0;             // training loss at the last step
  std::optional<double> eval_loss;   // none without validation data
  double wall_s = 0;                 // "train_s": the last attempt's training loop, first step to the end (the
                                     // leaderboard's wall time is every attempt, launch to exit)
  int64_t fused = 0;                 // > 0: trained fused with this many jobs
  int64_t tokens = 0;                // targets the loss was taken on (masked ones not; images: samples); 0: unknown
};
nlohmann::json to_json(const Result& r);
Result result_from_json(const nlohmann::json& j, const std::string& where);  // Data error when malformed
std::optional<Result> read_result(const std::string& job_dir);

// trial/rank-R.json: what one rank of a profiling trial measured.
struct Trial {
  bool feasible = true;
  std::string reason;         // infeasible: why (out of memory, ...)
  double step_time = 0;       // median seconds per step in the timed window
  double spread = 0;          // the 95% half-width of that median, as a share of it
  int64_t timed_steps = 0;
  int64_t peak_memory = 0;    // bytes: peak device memory (cpu: RSS growth)
  double startup_s = 0;       // process start to the first step
  int64_t steps = 0;          // steps run, the untimed warm-up included (0: not recorded)
  double final_loss = 0;
};
nlohmann::json to_json(const Trial& t);
std::optional<Trial> read_trial(const std::string& run_dir, int rank);

// One line of metrics.jsonl as the runner reads it: a training step's
// number, loss and seconds since the worker started. Other lines (eval
// lines, a line still being written) are nullopt.
struct MetricsLine {
  int64_t step = 0;
  double loss = 0;
  double time = 0;
};
std::optional<MetricsLine> parse_metrics_line(const std::string& line);

}  // namespace saturn::run_files
