// Requeueing the Slurm job saturn runs in, when Slurm's warning before the
// time limit (SIGUSR1) stopped the run: the requeued job resumes the run
// directory.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/slurm_env.h"

namespace saturn {

// Whether a stop with `exit_code` inside `slurm` asks for a requeue
// (SIGUSR1: Slurm's warning before the time limit).
bool wants_requeue(const std::optional<SlurmAllocation>& slurm, int exit_code);

// `scontrol requeue` of the allocation's job; says (one line) whether the job
// was requeued. Slurm ends the job's processes as it requeues it, scontrol
// among them, so scontrol runs deaf to SIGTERM, and when it still does not
// say it succeeded, the job's restart count (`scontrol show job`) decides.
void requeue_slurm_job(const SlurmAllocation& a, const std::string& run_dir,
                       const std::function<void(const std::string&)>& say);

// The Restarts= count in `scontrol show job` output; nullopt when absent.
std::optional<int64_t> restarts_in(const std::string& show_job);

}  // namespace saturn
