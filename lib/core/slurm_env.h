// Slurm allocations read from a job's environment (SLURM_* variables): the
// hosts, CPUs and GPUs saturn may plan on inside `sbatch`/`salloc`. Pure
// functions over a captured environment, so they are tested without Slurm.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/workload.h"

namespace saturn {

// Slurm's compressed host list expanded in order: "gpu[01-03,07],login-1"
// -> gpu01 gpu02 gpu03 gpu07 login-1 (zero padding kept; several bracket
// groups in one name multiply). Throws saturn::Error (Data) naming the list
// when it is malformed.
std::vector<std::string> expand_hostlist(const std::string& list);

// Per-node counts as Slurm writes them: "16(x2),8" -> 16 16 8. Throws
// saturn::Error (Data) when malformed.
std::vector<int64_t> expand_counts(const std::string& list);

struct SlurmAllocation {
  std::string job_id;
  std::vector<std::string> hosts;   // allocation order
  std::vector<int64_t> cpus;        // CPUs on each host
  int64_t gpus_per_node = 0;        // GPUs this job holds on each node (0: none)
  int64_t restart_count = 0;        // SLURM_RESTART_COUNT: > 0 after a requeue
};

using Environment = std::map<std::string, std::string>;

// The allocation of the Slurm job this process runs in, or nullopt outside
// one (no SLURM_JOB_ID). `hostnames` expands SLURM_JOB_NODELIST (in a real
// job, `scontrol show hostnames`). GPUs per node from SLURM_GPUS_ON_NODE,
// else the ids in SLURM_JOB_GPUS, else SLURM_GPUS_PER_NODE ("a100:4" or
// "4"); CPUs from SLURM_JOB_CPUS_PER_NODE, else SLURM_CPUS_ON_NODE on every
// node. Throws saturn::Error (Data) naming the variable that is malformed.
std::optional<SlurmAllocation> slurm_allocation(
    const Environment& env,
    const std::function<std::vector<std::string>(const std::string&)>& hostnames = expand_hostlist);

// This process's environment: the SLURM_* and SLURMD_* variables and
// CUDA_VISIBLE_DEVICES.
Environment slurm_environment();

// The cluster of an allocation: one node per host, named by it, following
// the workload's `cluster: slurm` template `tmpl`: with the job's GPUs as its
// devices (kind cuda or auto), or, in a job without GPUs (or kind cpu), CPU
// devices: the host's CPUs / tmpl.threads of them. Throws saturn::Error
// (Data) for kind cuda in a job that holds no GPUs.
Cluster slurm_cluster(const SlurmAllocation& a, const Node& tmpl);

// Resolves a workload's `cluster: slurm` (read from file `path`) against
// `env`: returns the allocation and makes w.cluster its nodes; nullopt
// outside a Slurm job or for a workload that lists its nodes. Throws
// saturn::Error "path: cluster: slurm: what" (Data) for variables that do
// not make a cluster. load_workload() calls it unless told not to.
std::optional<SlurmAllocation> resolve_slurm_cluster(Workload& w, const std::string& path, const Environment& env);

// `scontrol show hostnames LIST` (the host names in order); our own
// expand_hostlist() where scontrol is missing or fails.
std::vector<std::string> scontrol_hostnames(const std::string& list);

// One task of a job step (`srun`), from its environment; nullopt outside a step.
struct SlurmTask {
  std::string step;                    // "JOB.STEP"
  int64_t rank = 0;                    // SLURM_PROCID
  int64_t ntasks = 1;                  // SLURM_NTASKS
  int64_t local_id = 0;                // SLURM_LOCALID: the task's index on its node
  std::string host;                    // SLURMD_NODENAME
  std::vector<std::string> visible_gpus;  // CUDA_VISIBLE_DEVICES as Slurm set it
};
std::optional<SlurmTask> slurm_task(const Environment& env);

// The CUDA ordinal a task uses for the step's device `index` (cuda:index as
// planned) when it sees `visible` GPUs: index itself when the step's tasks
// share one CUDA_VISIBLE_DEVICES, 0 when each task sees only its own GPU.
// Throws saturn::Error (Unavailable) when the task sees no GPU, or too few.
int64_t step_cuda_ordinal(int64_t index, size_t visible);

}  // namespace saturn
