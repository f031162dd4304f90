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

// This process's environment, the SLURM_* variables only.
Environment slurm_environment();

// The cluster of an allocation: one node per host, named by it, with the
// job's GPUs (kind cuda, catalog `gpu_model`, `memory` bytes per GPU, 0 = the
// catalog's) or, without GPUs, one cpu device using the host's CPUs.
Cluster slurm_cluster(const SlurmAllocation& a, const std::string& gpu_model, int64_t memory);

}  // namespace saturn
