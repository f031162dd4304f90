// `saturn run W --slurm-script`: a filled sbatch script for a workload's
// plan (nodes, tasks, CPUs, GPUs, time limit, the USR1 warning, requeue),
// printed, never submitted. The script execs `saturn run` so Slurm's signals
// reach saturn: USR1 before the time limit makes every job step checkpoint
// and the job requeue itself; the requeued job resumes the run directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace saturn {

struct SlurmScriptInput {
  std::string saturn = "saturn"; // the binary the job execs (an absolute path)
  std::string workload;          // the workload file, as the job will name it (an absolute path)
  std::string name;              // the workload's name (job name saturn-<name>)
  std::string run_dir;           // "" = saturn's default (runs/<name> next to the workload)
  std::vector<std::string> run_args;  // more `saturn run` options, kept from the command line
  std::vector<std::string> sbatch;    // more #SBATCH options, e.g. "--partition=gpu"
  bool cluster_slurm = true;     // the workload says `cluster: slurm` (else it lists its node)
  int64_t nodes = 1;             // nodes the plan uses
  int64_t gpus_per_node = 0;     // GPUs per node (0: CPU devices)
  int64_t tasks_per_node = 1;    // one per device: a step's ranks are tasks
  int64_t cpus_per_task = 1;
  double makespan_s = 0;         // the plan's predicted makespan
  int64_t profile_trials = 0;    // trials the run measures before it plans
  double profile_s = 0;          // ... and about how long they take
  int64_t jobs = 0;
  int64_t done = 0;              // of them done in the run directory already (all: the job prints the leaderboard)
  std::string devices;           // what the plan was made for, for the comment ("2 x 8 A100-40GB")
};

// The time limit asked for: the makespan (profiling included) plus 25% and 10 minutes, in whole
// minutes; the USR1 warning: 5 minutes before it (a quarter of it when shorter).
int64_t slurm_time_minutes(double makespan_s);
int64_t slurm_signal_lead_s(int64_t minutes);
// Minutes as Slurm's --time: "MM", "H:MM:00" or "D-HH:MM:00".
std::string slurm_time_text(int64_t minutes);

std::string slurm_script(const SlurmScriptInput& in);

}  // namespace saturn
