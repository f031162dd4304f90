#include "exec/slurm_script.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/text.h"
#include "core/units.h"

namespace saturn {

int64_t slurm_time_minutes(double makespan_s) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((std::max(0.0, makespan_s) * 1.25 + 600) / 60)));
}

int64_t slurm_signal_lead_s(int64_t minutes) { return std::min<int64_t>(300, std::max<int64_t>(15, minutes * 60 / 4)); }

std::string slurm_time_text(int64_t minutes) {
  char b[48];
  const int64_t d = minutes / 1440, h = minutes / 60 % 24, m = minutes % 60;
  if (d > 0) std::snprintf(b, sizeof b, "%lld-%02lld:%02lld:00", (long long)d, (long long)h, (long long)m);
  else std::snprintf(b, sizeof b, "%lld:%02lld:00", (long long)h, (long long)m);
  return b;
}

std::string slurm_script(const SlurmScriptInput& in) {
  const int64_t minutes = slurm_time_minutes(in.makespan_s + in.profile_s);
  const int64_t lead = slurm_signal_lead_s(minutes);
  std::string s;
  s += "#!/bin/bash\n";
  if (in.jobs > 0 && in.done >= in.jobs)
    s += "# saturn run for workload " + in.name + ": all " + std::to_string(in.jobs) + " jobs are done in " +
         (in.run_dir.empty() ? "its run directory" : in.run_dir) + "; the job prints the leaderboard.\n";
  else
    s += "# saturn run for workload " + in.name + ": " + std::to_string(in.jobs - in.done) + " jobs" +
         (in.done > 0 ? " (" + std::to_string(in.done) + " more done)" : "") + ", planned to take " +
         human_duration(in.makespan_s) + " on " + in.devices +
         (in.profile_trials > 0 ? ", after measuring " + std::to_string(in.profile_trials) + " trial(s) (about " +
                                      human_duration(in.profile_s) + ")"
                                : "") +
         ".\n";
  s += "# Written by `saturn run --slurm-script`; submit it with sbatch.\n";
  s += "# Its paths are the ones this machine gave: the saturn binary, the workload, its data\n"
       "# and the run directory must be there on the cluster's nodes (a shared file system).\n";
  if (in.cluster_slurm)
    s += "# The workload's `cluster: slurm` makes saturn plan on what this job is given.\n";
  else
    s += "# The workload lists its node: saturn trains on the node this job is given, with\n"
         "# the devices the workload names there (say `cluster: slurm` to plan on the allocation).\n";
  s += "#SBATCH --job-name=saturn-" + in.name + "\n";
  s += "#SBATCH --nodes=" + std::to_string(in.nodes) + "\n";
  s += "#SBATCH --ntasks-per-node=" + std::to_string(in.tasks_per_node) + "   # one task per device: a job step's ranks\n";
  s += "#SBATCH --cpus-per-task=" + std::to_string(in.cpus_per_task) + "\n";
  if (in.gpus_per_node > 0) s += "#SBATCH --gres=gpu:" + std::to_string(in.gpus_per_node) + "\n";
  s += "#SBATCH --time=" + slurm_time_text(minutes) + "   # the plan's makespan" +
       (in.profile_trials > 0 ? " + measurement" : "") + " + 25% + 10 min\n";
  s += "#SBATCH --signal=B:USR1@" + std::to_string(lead) +
       "   # saturn checkpoints every job and requeues this job...\n";
  s += "#SBATCH --requeue   # ...which then resumes the run directory (SLURM_RESTART_COUNT > 0)\n";
  s += "#SBATCH --open-mode=append\n";
  s += "#SBATCH --output=saturn-%x-%j.out\n";
  for (const auto& o : in.sbatch) s += "#SBATCH " + o + "\n";
  s += "exec " + shell_quote(in.saturn) + " run " + shell_quote(in.workload) +
       (in.run_dir.empty() ? "" : " --run-dir " + shell_quote(in.run_dir));
  for (const auto& a : in.run_args) s += " " + shell_quote(a);
  s += "\n";
  return s;
}

}  // namespace saturn
