#include "plan/plan_json.h"

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

}  // namespace saturn
