#include "plan/plan_json.h"

#include <algorithm>
#include <map>

#include "core/error.h"

namespace saturn {

nlohmann::json plan_json(const PlanProblem& p, const Plan& plan) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : p.nodes) nodes.push_back({{"name", n.name}, {"kind", n.kind}, {"devices", n.devices}});
  nlohmann::json jobs = nlohmann::json::array();
  for (const auto& a : plan.items) {
    const auto& o = p.options[a.option];
    for (size_t j : o.jobs) {
      nlohmann::json fused = nlohmann::json::array();
      for (size_t k : o.jobs)
        if (k != j) fused.push_back(p.jobs[k]);
      jobs.push_back({{"job", p.jobs[j]},
                      {"technique", o.technique},
                      {"knobs", o.knobs},
                      {"devices", o.devices},
                      {"node", p.nodes[o.node].name},
                      {"device_ids", a.device_ids},
                      {"start_s", a.start},
                      {"end_s", a.end},
                      {"running", a.pinned},
                      {"fused_with", fused}});
    }
  }
  return {{"version", kPlanJsonVersion}, {"makespan_s", plan.makespan}, {"bound_s", plan.bound},
          {"gap", plan.gap()},           {"method", plan.method},       {"stop", plan.stop},
          {"solve_s", plan.solve_s},     {"milp", plan.milp},           {"nodes", nodes},
          {"jobs", jobs}};
}

Plan plan_from_json(const nlohmann::json& doc, const PlanProblem& p) {
  auto fail = [](const std::string& m) -> Error { return data_error("plan.json: " + m); };
  try {
    if (!doc.is_object()) throw fail("expected an object");
    const int version = doc.at("version").get<int>();
    if (version > kPlanJsonVersion)
      throw fail("version " + std::to_string(version) + " is newer than this saturn reads (" +
                 std::to_string(kPlanJsonVersion) + ")");
    std::map<std::string, size_t> job_index, node_index;
    for (size_t j = 0; j < p.jobs.size(); ++j) job_index[p.jobs[j]] = j;
    for (size_t n = 0; n < p.nodes.size(); ++n) node_index[p.nodes[n].name] = n;
    Plan plan;
    std::vector<bool> placed(p.jobs.size(), false);
    for (const auto& e : doc.at("jobs")) {
      const std::string job = e.at("job").get<std::string>();
      auto j = job_index.find(job);
      if (j == job_index.end()) throw fail("job " + job + " is not in the workload");
      if (placed[j->second]) continue;  // the other jobs of a fused group, already placed
      auto n = node_index.find(e.at("node").get<std::string>());
      if (n == node_index.end()) throw fail("job " + job + ": node " + e.at("node").get<std::string>() + " is not in the cluster");
      std::vector<size_t> jobs{j->second};
      for (const auto& other : e.at("fused_with")) {
        auto k = job_index.find(other.get<std::string>());
        if (k == job_index.end()) throw fail("job " + job + ": fused with unknown job " + other.get<std::string>());
        jobs.push_back(k->second);
      }
      std::sort(jobs.begin(), jobs.end());
      const std::string technique = e.at("technique").get<std::string>();
      const int64_t devices = e.at("devices").get<int64_t>();
      size_t option = SIZE_MAX;
      for (size_t o = 0; o < p.options.size() && option == SIZE_MAX; ++o) {
        const auto& opt = p.options[o];
        if (opt.jobs == jobs && opt.technique == technique && opt.devices == devices && opt.node == n->second) option = o;
      }
      if (option == SIZE_MAX)
        throw fail("job " + job + ": no strategy " + technique + " x" + std::to_string(devices) + " on " + n->first);
      Assignment a;
      a.option = option;
      a.device_ids = e.at("device_ids").get<std::vector<int64_t>>();
      a.start = e.at("start_s").get<double>();
      a.end = e.at("end_s").get<double>();
      a.pinned = e.at("running").get<bool>();
      for (size_t k : jobs) placed[k] = true;
      plan.items.push_back(std::move(a));
    }
    plan.bound = doc.at("bound_s").get<double>();
    plan.method = doc.at("method").get<std::string>();
    plan.stop = doc.at("stop").get<std::string>();
    plan.solve_s = doc.at("solve_s").get<double>();
    plan.milp = doc.value("milp", std::string());
    finish_plan(plan, p);
    return plan;
  } catch (const nlohmann::json::exception& e) {
    throw fail(std::string("malformed: ") + e.what());
  }
}

std::string device_misfit(const Plan& plan, const PlanProblem& p) {
  for (const auto& a : plan.items)
    for (int64_t d : a.device_ids)
      if (d < 0 || d >= p.nodes[p.options[a.option].node].devices)
        return "device " + std::to_string(d) + " of " + p.nodes[p.options[a.option].node].name + " is not in the cluster";
  return "";
}

}  // namespace saturn
