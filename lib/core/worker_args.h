// WorkerArgs: the command line of `saturn worker`, the one contract between
// the processes that start training (the runner's launchers, the profiler,
// a worker forking its ranks) and the worker itself. to_argv() writes it and
// parse() reads it back, each the other's inverse; the flag names live in
// worker_args.cpp only. bind() registers the same flags on a CLI11
// subcommand (`saturn worker --help`). Plain value type; parse() throws
// saturn::Error (Usage) with one line on a bad command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/technique.h"

namespace CLI {
class App;
}

namespace saturn {

struct WorkerArgs {
  std::string workload;                        // the workload file
  std::vector<std::string> jobs;               // job ids; several only with technique fused
  std::string run_dir;                         // the job writes to <run_dir>/jobs/<job id>/
  std::vector<std::string> devices = {"cpu"};  // one per rank: "cpu" or "cuda:N"
  int rank = -1;                               // -1: launch every rank (or be the only one)
  std::string rendezvous;                      // with rank: the launcher's rendezvous file
  std::string backend;                         // shm | nccl; "" = nccl on cuda devices, else shm
  std::optional<Technique> technique;          // none: single on one device, ddp on more
  int64_t group_blocks = 1;                    // fsdp, spill: blocks per group
  int64_t micro_batches = 0;                   // pipeline: micro-batches per step (0 = 2 x stages)
  bool gpipe = false;                          // pipeline: GPipe schedule instead of 1F1B
  bool no_recompute = false;                   // fsdp, spill: keep activations
  bool offload = false;                        // fsdp: shards and optimizer state in host memory
  int64_t copies = 0;                          // fused trial: fuse this many copies of the job
  int64_t steps = 0;                           // > 0: train this many steps instead of the workload's
  int64_t stop_at = 0;                         // > 0: stop at this step (evaluate, checkpoint, exit 0): a rung
  int64_t micro_batch = 0;                     // > 0: samples per forward pass per rank
  int threads = 0;                             // > 0: intra-op threads per rank
  bool resume = true;                          // continue from the newest valid checkpoint
  bool trial = false;                          // profiling trial: <run_dir>/trial/rank-N.json only
  // A trial's further strategies on the same devices, timed in order by the
  // same process after the first: "technique" or "technique:knobs"
  // ("fsdp:recompute=0", "fused:k=4"); setting I's files go to
  // run_files::trial_setting_dir(run_dir, I).
  std::vector<std::string> also;
  bool slurm_step = false;                     // one task of a Slurm job step
  int64_t chat_time = 0;                       // > 0: the run's pinned time for chat templates (DataSpec::chat_time)

  const std::string& job() const { return jobs.front(); }  // the (first) job; jobs is never empty once parsed

  // A strategy's knob settings ("micro=8,mb=4,group=2,recompute=0,offload=1,
  // schedule=gpipe"; a fused group's "k=K" is its jobs, not a flag).
  void apply_knobs(const std::string& knobs);

  // How many strategies a trial times: 1 + also.size().
  size_t settings() const { return 1 + also.size(); }
  // Setting `i` (< settings()) as a one-strategy command: i = 0 is this one
  // without `also`; the others take this one's devices and flags with their
  // own technique and knobs (a fused "k=K" as K copies) and their own
  // run_dir. Throws saturn::Error (Usage) for an unknown technique.
  WorkerArgs setting(size_t i) const;
  // "technique:knobs" for `also` (just "technique" without knobs).
  static std::string strategy_text(Technique t, const std::string& knobs);

  // {saturn, "worker", workload, flags...}: only what differs from the defaults.
  std::vector<std::string> to_argv(const std::string& saturn) const;

  // The arguments after `saturn worker`.
  static WorkerArgs parse(const std::vector<std::string>& args);

  // Registers the flags on `sub`, writing into *this when it parses; call
  // finish() after parsing (splits --devices, checks the technique).
  void bind(CLI::App& sub);
  void finish();

  bool operator==(const WorkerArgs&) const = default;

 private:
  std::string devices_text_ = "cpu";
  std::string technique_text_;
};

}  // namespace saturn
