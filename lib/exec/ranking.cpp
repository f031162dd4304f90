#include "exec/ranking.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace saturn {

std::vector<JobRecord> ranked_jobs(std::vector<JobRecord> jobs) {
  auto key = [](const JobRecord& j) {
    const double loss = std::isnan(j.eval_loss) ? j.final_loss : j.eval_loss;
    const double metric = std::isnan(loss) ? INFINITY : loss;
    if (j.status == JobStatus::Done) return std::tuple<int, int64_t, double>(0, 0, metric);
    if (j.status == JobStatus::Stopped) return std::tuple<int, int64_t, double>(1, -j.steps_done, metric);
    return std::tuple<int, int64_t, double>(2, 0, 0.0);
  };
  std::stable_sort(jobs.begin(), jobs.end(), [&](const JobRecord& a, const JobRecord& b) { return key(a) < key(b); });
  return jobs;
}

std::string status_cell(const JobRecord& j) {
  if (j.status == JobStatus::Failed) return "failed: " + j.message;
  if (j.status == JobStatus::Stopped) return "stopped early at step " + std::to_string(j.steps_done);
  return job_status_name(j.status);
}

}  // namespace saturn
