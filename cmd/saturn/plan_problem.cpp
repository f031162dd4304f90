#include "plan_problem.h"

#include "core/error.h"
#include "profile/view.h"

namespace saturn::cmd {

WorkloadProblem workload_problem(const Workload& w, const JobSet& jobs, const std::vector<DeviceGroup>& groups,
                                 const ProfileStore& store) {
  WorkloadProblem out;
  auto& p = out.problem;
  std::vector<std::vector<size_t>> group_nodes(groups.size());
  for (size_t g = 0; g < groups.size(); ++g)
    for (const auto& name : groups[g].nodes) {
      group_nodes[g].push_back(p.nodes.size());
      p.nodes.push_back({name, groups[g].model, groups[g].count});
    }
  const auto rows = profile_view(w, jobs, groups, store);
  for (size_t j = 0; j < jobs.jobs.size(); ++j) {
    const Job& job = jobs.jobs[j];
    p.jobs.push_back(job.id);
    out.shapes.push_back(jobs.shapes[job.shape].id);
    bool any = false;
    for (const auto& r : rows) {
      if (r.shape != job.shape || !r.entry.feasible || !(r.runtime.total() > 0)) continue;
      for (size_t n : group_nodes[r.group]) {
        PlanOption o;
        o.jobs = {j};
        o.technique = technique_name(r.entry.key.technique);
        o.devices = r.entry.key.devices;
        o.node = n;
        o.duration = r.runtime.total();
        p.options.push_back(o);
        out.sources.push_back(r.source);
        out.step_times.push_back(r.entry.step_time);
        any = true;
      }
    }
    if (!any)
      throw data_error(w.name + ": job " + job.id + ": no strategy fits any node (every allowed technique is over the "
                       "memory budget or infeasible; see `saturn profile --show`)");
  }
  return out;
}

}  // namespace saturn::cmd
