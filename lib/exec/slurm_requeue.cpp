#include "exec/slurm_requeue.h"

#include <csignal>
#include <cstdlib>

#include "core/text.h"
#include "exec/process.h"

namespace saturn {

bool wants_requeue(const std::optional<SlurmAllocation>& slurm, int exit_code) {
  return slurm.has_value() && exit_code == 128 + SIGUSR1;
}

std::optional<int64_t> restarts_in(const std::string& show_job) {
  size_t at = 0;
  while ((at = show_job.find("Restarts=", at)) != std::string::npos) {
    const bool word_start = at == 0 || show_job[at - 1] == ' ' || show_job[at - 1] == '\n';
    at += 9;
    if (!word_start) continue;
    char* end = nullptr;
    const long long n = std::strtoll(show_job.c_str() + at, &end, 10);
    if (end != show_job.c_str() + at) return n;
  }
  return std::nullopt;
}

void requeue_slurm_job(const SlurmAllocation& a, const std::string& run_dir,
                       const std::function<void(const std::string&)>& say) {
  const CapturedRun r = run_captured({"scontrol", "requeue", a.job_id}, true);
  bool requeued = r.code == 0;
  if (!requeued) {
    // A requeue can go through while scontrol reports failure (its reply
    // timed out on a busy controller): the restart count says.
    const CapturedRun show = run_captured({"scontrol", "show", "job", "-o", a.job_id}, true);
    const auto restarts = show.code == 0 ? restarts_in(show.output) : std::nullopt;
    requeued = restarts && *restarts > a.restart_count;
  }
  if (requeued) {
    say("Slurm job " + a.job_id + " requeued: it resumes " + run_dir + " when it starts again");
    return;
  }
  std::string out = r.output;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  std::string why = !out.empty()         ? " (" + excerpt(out, 200) + ")"
                    : r.code == 127      ? " (scontrol is not on PATH)"
                    : r.code > 128       ? " (scontrol was killed by signal " + std::to_string(r.code - 128) + ")"
                    : r.code < 0         ? " (scontrol could not start)"
                                         : "";
  say("scontrol requeue " + a.job_id + " failed" + why + ": submit the same script again to resume " + run_dir);
}

}  // namespace saturn
