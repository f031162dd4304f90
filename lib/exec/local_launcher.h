// LocalLauncher: runs jobs as `saturn worker` process groups on this
// machine. A job on CUDA devices sees only them (CUDA_VISIBLE_DEVICES, and
// --devices cuda:0..k-1); a job on CPU devices gets `threads` intra-op
// threads per rank and is pinned to that many cores per device (device d of
// a node: cores d*threads .. (d+1)*threads-1, wrapped to the cores this
// process may use). Each group leads its own process group (stop signals
// reach every rank), gets SIGTERM if the runner dies (so it checkpoints
// instead of running on orphaned), and writes its output to
// <run_dir>/logs/<job>.log. The worker group is the job's rendezvous: it
// forks its ranks itself (worker.h). wait() sleeps in poll() on the
// SignalPipe until a child exits, a stop signal comes, or the deadline.
// Progress is read from <run_dir>/jobs/<job>/metrics.jsonl (incrementally),
// heartbeat.json (removed at each launch) and ckpt/, the result from
// result.json. Not thread safe.
#pragma once

#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

#include "core/worker_args.h"
#include "exec/launcher.h"
#include "exec/process.h"
#include "exec/signals.h"

namespace saturn {

struct LocalNode {
  std::string name;
  bool cuda = false;
  int64_t threads = 1;     // cpu: intra-op threads per device
  int64_t gpus = 0;        // Slurm: GPUs the allocation holds on it (a step asks --gres=gpu:k)
  int64_t cpus_per_rank = 1;  // Slurm: CPUs a step's task asks for
};

struct LocalLauncherOptions {
  std::string saturn;                  // the saturn executable
  std::string workload;                // the workload file the workers read
  std::string run_dir;                 // jobs/ and logs/ live here
  std::vector<LocalNode> nodes;        // the cluster's nodes (this machine)
  int64_t steps = 0;                   // > 0: every job trains this many steps (a smoke run)
  int64_t chat_time = 0;               // > 0: the run's pinned time for chat templates (WorkerArgs::chat_time)
};

class LocalLauncher : public Launcher {
 public:
  LocalLauncher(LocalLauncherOptions o, SignalPipe& signals);
  void start(const LaunchSpec& spec) override;
  void stop(const std::string& job, bool force) override;
  std::vector<LaunchEvent> wait(double deadline) override;
  double now() const override;
  int64_t pid(const std::string& job) const override;
  JobProgress progress(const std::string& job, int64_t since_step) override;
  std::optional<JobResult> result(const std::string& job) override;
  std::optional<StepMetrics> checkpoint_metrics(const std::string& job, int64_t step) override;
  bool end_orphan(int64_t pid, double grace) override;
  std::string last_words(const std::string& job) const override;  // a `saturn worker` of this run dir only

  // A job's folder and log file.
  std::string job_dir(const std::string& job) const;
  std::string log_path(const std::string& job) const;

 protected:
  // The command that runs a job's worker group on `node` and how to spawn
  // it (the worker itself here; srun around it in the Slurm launcher).
  virtual std::vector<std::string> command(const LaunchSpec& spec, const LocalNode& node, SpawnOptions& so);
  // The worker's command line for a launch on `devices` (technique, fused
  // jobs, knobs; cpu threads per rank on a cpu node).
  WorkerArgs worker_args(const LaunchSpec& spec, const LocalNode& node, const std::vector<std::string>& devices) const;

  LocalLauncherOptions o_;
  std::map<std::string, pid_t> running_;   // job -> process group leader

 private:
  struct Metrics {  // what was read of a metrics.jsonl
    int64_t offset = 0, since = -1;
    int64_t first_step = -1, last_step = 0;
    double first_time = 0, last_time = 0, loss = 0;
  };
  SignalPipe& signals_;
  std::map<std::string, Metrics> metrics_;
  std::vector<int> cores_;                 // cores this process may use
};

}  // namespace saturn
