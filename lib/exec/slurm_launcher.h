// SlurmLauncher: runs each job's worker group as a job step inside the Slurm
// allocation saturn runs in: `srun --exclusive -N1 -n<ranks> -w <node>
// --gres=gpu:<k>` around `saturn worker --slurm-step`, one task per rank.
// Steps run concurrently; Slurm gives each its own CPUs and GPUs, and a
// task finds its GPU among those it sees (worker.h). srun's exit is the
// worker's. Stop: SIGUSR1 to srun, which forwards it to every task (each
// checkpoints and exits 128 + SIGUSR1); force: SIGTERM to srun, which
// cancels the step. Everything else (progress, results, logs, waiting) is
// the local launcher's: the run directory must be on a file system every
// node of the allocation shares.
#pragma once

#include <string>
#include <vector>

#include "exec/local_launcher.h"

namespace saturn {

class SlurmLauncher : public LocalLauncher {
 public:
  // o.nodes: the allocation's hosts, with gpus and cpus_per_rank set.
  SlurmLauncher(LocalLauncherOptions o, SignalPipe& signals, std::string srun = "srun");
  void stop(const std::string& job, bool force) override;

  // The srun command line for a job step (for tests and the log).
  std::vector<std::string> step_command(const LaunchSpec& spec, const LocalNode& node,
                                        const std::string& rendezvous) const;

 protected:
  std::vector<std::string> command(const LaunchSpec& spec, const LocalNode& node, SpawnOptions& so) override;

 private:
  std::string srun_;
};

}  // namespace saturn
