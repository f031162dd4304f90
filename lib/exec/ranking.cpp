#include "exec/ranking.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/run_files.h"

namespace saturn {

std::vector<JobRecord> ranked_jobs(std::vector<JobRecord> jobs, const Ranking& r) {
  const Selection& s = r.select;
  auto value = [&](const JobRecord& j) {
    if (s.metric == "train_loss") return j.final_loss;
    if (s.metric.rfind("eval.", 0) == 0) {
      auto job = r.scores.find(j.id);
      if (job == r.scores.end()) return static_cast<double>(NAN);
      auto v = job->second.find(s.metric);
      return v == job->second.end() ? static_cast<double>(NAN) : v->second;
    }
    return std::isnan(j.eval_loss) ? j.final_loss : j.eval_loss;
  };
  auto key = [&](const JobRecord& j) {
    const double v = value(j);
    const double metric = std::isfinite(v) ? (s.maximize ? -v : v) : INFINITY;
    if (j.status == JobStatus::Done) return std::tuple<int, int64_t, double>(0, 0, metric);
    if (j.status == JobStatus::Stopped) return std::tuple<int, int64_t, double>(1, -j.steps_done, metric);
    return std::tuple<int, int64_t, double>(2, 0, 0.0);
  };
  std::stable_sort(jobs.begin(), jobs.end(), [&](const JobRecord& a, const JobRecord& b) { return key(a) < key(b); });
  return jobs;
}

Ranking run_ranking(const RunState& st, const std::string& run_dir) {
  Ranking r;
  r.select = parse_selection_text(st.meta("select").value_or(""));
  for (const auto& j : st.jobs()) {
    std::ifstream in(run_files::metrics_path(run_files::job_dir(run_dir, j.id)));
    std::string line;
    std::map<std::string, double> latest;
    while (std::getline(in, line)) {
      if (line.find("\"eval.") == std::string::npos) continue;
      const auto m = nlohmann::json::parse(line, nullptr, false);
      if (!m.is_object()) continue;
      for (const auto& [k, v] : m.items())
        if (k.rfind("eval.", 0) == 0) latest[k] = v.is_number() ? v.get<double>() : NAN;
    }
    if (!latest.empty()) r.scores[j.id] = std::move(latest);
  }
  return r;
}

std::string status_cell(const JobRecord& j) {
  if (j.status == JobStatus::Failed) return "failed: " + j.message;
  if (j.status == JobStatus::Stopped) return "stopped early at step " + std::to_string(j.steps_done);
  return job_status_name(j.status);
}

}  // namespace saturn
