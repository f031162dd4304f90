#include "report/report_data.h"

namespace saturn {
namespace {

nlohmann::json number(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

nlohmann::json points(const std::vector<Point>& ps) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : ps) out.push_back({number(p.x), number(p.y)});
  return out;
}

nlohmann::json pairs(const std::vector<std::pair<std::string, std::string>>& kv) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : kv) out[k] = v;
  return out;
}

nlohmann::json bar(const ReportBar& b) {
  nlohmann::json j = {{"lane", b.lane}, {"start_s", b.start}, {"end_s", b.end}, {"job", b.job},
                      {"kind", b.kind}, {"plan_version", b.version}, {"detail", b.detail}};
  if (b.attempt) j["attempt"] = b.attempt;
  if (b.slots > 1) j["fused_slot"] = {b.slot, b.slots};
  return j;
}

}  // namespace

nlohmann::json to_json(const ReportData& r) {
  nlohmann::json jobs = nlohmann::json::array(), plans = nlohmann::json::array(), attempts = nlohmann::json::array(),
                 events = nlohmann::json::array(), measuring = nlohmann::json::array();
  for (const auto& j : r.jobs)
    jobs.push_back({{"job", j.id},
                    {"model", j.model},
                    {"hyperparameters", pairs(j.params)},
                    {"status", j.status},
                    {"status_text", j.status_text},
                    {"rank", j.rank ? nlohmann::json(j.rank) : nlohmann::json(nullptr)},
                    {"steps", j.steps},
                    {"steps_done", j.steps_done},
                    {"strategy", j.strategy},
                    {"devices", j.devices},
                    {"wall_s", j.wall_s},
                    {"restarts", j.restarts},
                    {"valid_loss", number(j.valid_loss)},
                    {"train_loss", number(j.train_loss)},
                    {"curves",
                     {{"train_by_step", points(j.train_by_step)},
                      {"train_by_time", points(j.train_by_time)},
                      {"valid_by_step", points(j.valid_by_step)},
                      {"valid_by_time", points(j.valid_by_time)}}}});
  for (const auto& p : r.plans) {
    nlohmann::json bars = nlohmann::json::array();
    for (const auto& b : p.bars) bars.push_back(bar(b));
    plans.push_back({{"version", p.version}, {"created_s", p.created}, {"makespan_s", p.makespan},
                     {"bound_s", p.bound}, {"method", p.method}, {"reason", p.reason}, {"bars", bars}});
  }
  for (const auto& b : r.attempts) attempts.push_back(bar(b));
  for (const auto& b : r.measuring) measuring.push_back(bar(b));
  for (const auto& e : r.events)
    events.push_back({{"time_s", e.time}, {"kind", e.kind}, {"job", e.job}, {"message", e.message}});
  return {{"workload", r.workload},
          {"workload_path", r.workload_path},
          {"run_dir", r.run_dir},
          {"saturn_version", r.saturn_version},
          {"cluster", r.cluster},
          {"origin_epoch_s", r.origin},
          {"lanes", r.lanes},
          {"makespan_s", r.makespan},
          {"predicted_s", r.predicted},
          {"expected_s", r.expected > 0 ? nlohmann::json(r.expected) : nlohmann::json(nullptr)},
          {"bound_s", r.bound},
          {"busy_devices", points(r.busy)},
          {"commands", pairs(r.commands)},
          {"jobs", jobs},
          {"plans", plans},
          {"attempts", attempts},
          {"measuring", measuring},
          {"events", events}};
}

}  // namespace saturn
