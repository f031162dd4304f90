#include "profile/workload_problem.h"

#include <map>

#include "core/error.h"
#include "core/text.h"
#include "core/units.h"
#include "profile/view.h"

namespace saturn {

PlanOptions plan_options(const Workload& w, const std::string& time_limit, int64_t threads, int64_t work_limit) {
  PlanOptions po;
  po.time_limit = w.planner.time_limit;
  po.work_limit = w.planner.work_limit;
  po.threads = threads > 0 ? threads : w.planner.threads;
  if (work_limit < 0) throw usage_error("--work-limit: expected a number of branch-and-bound nodes, 1 or more");
  if (work_limit > 0 && !time_limit.empty())
    throw usage_error("--work-limit and --time-limit: give one (the solver stops by effort or by time)");
  if (!time_limit.empty()) {
    auto t = parse_duration(time_limit);
    if (!t || *t <= 0) throw usage_error("--time-limit: expected a positive duration like 10s or 2m, got " + saturn::quoted(time_limit));
    po.time_limit = *t;
    po.work_limit = 0;  // asked for time
  }
  if (work_limit > 0) po.work_limit = work_limit;
  return po;
}

WorkloadProblem workload_problem(const Workload& w, const JobSet& jobs, const std::vector<DeviceGroup>& groups,
                                 const ProfileStore& store, const TextTokenCounts& counted) {
  WorkloadProblem out;
  auto& p = out.problem;
  std::vector<std::vector<size_t>> group_nodes(groups.size());
  for (size_t g = 0; g < groups.size(); ++g)
    for (const auto& name : groups[g].nodes) {
      group_nodes[g].push_back(p.nodes.size());
      p.nodes.push_back({name, groups[g].model, groups[g].count});
    }
  out.view = profile_view(w, jobs, groups, store, counted);
  const auto& rows = out.view;
  auto add = [&](const PlanOption& o, size_t row) {
    p.options.push_back(o);
    out.sources.push_back(rows[row].source);
    out.step_times.push_back(rows[row].entry.step_time);
    out.bands.push_back(rows[row].band.width);
    out.rows.push_back(row);
  };
  // Jobs of one shape can train on different data (a model's own), so for
  // different numbers of steps: each job's runtime is its own.
  std::vector<int64_t> steps;
  for (const Job& job : jobs.jobs) steps.push_back(job_steps(w, job, counted));
  auto duration = [&](const ProfileRow& r, size_t j) {
    return steps[j] == r.runtime.steps ? r.runtime.total() : job_runtime(w, steps[j], r.entry, r.checkpoint_bytes).total();
  };
  for (size_t j = 0; j < jobs.jobs.size(); ++j) {
    const Job& job = jobs.jobs[j];
    p.jobs.push_back(job.id);
    out.shapes.push_back(jobs.shapes[job.shape].id);
    bool any = false;
    for (size_t ri = 0; ri < rows.size(); ++ri) {
      const ProfileRow& r = rows[ri];
      if (r.shape != job.shape || !r.entry.feasible || !(r.runtime.total() > 0)) continue;
      if (r.entry.key.technique == Technique::Fused) continue;  // group options, below
      for (size_t n : group_nodes[r.group]) {
        PlanOption o;
        o.jobs = {j};
        o.technique = technique_name(r.entry.key.technique);
        o.knobs = r.entry.key.knobs;
        o.devices = r.entry.key.devices;
        o.node = n;
        o.duration = duration(r, j);
        add(o, ri);
        any = true;
      }
    }
    if (!any)
      throw data_error(w.name + ": job " + job.id + ": no strategy fits any node (every allowed technique is over the "
                       "memory budget or infeasible; see `saturn profile --show`)");
  }
  // Fused groups: a shape's jobs of one model, in grid order, cut into
  // consecutive groups of K (full groups only); each group one option per
  // node, covering its K jobs. LoRA jobs fused share one frozen base: of a
  // random base (no `from`), only jobs of one seed.
  for (size_t ri = 0; ri < rows.size(); ++ri) {
    const ProfileRow& r = rows[ri];
    if (r.entry.key.technique != Technique::Fused || !r.entry.feasible || !(r.runtime.total() > 0)) continue;
    const auto k = static_cast<size_t>(fused_k(r.entry.key.knobs));
    std::map<std::pair<size_t, int64_t>, std::vector<size_t>> by_model;
    for (size_t j : jobs.shapes[r.shape].jobs) {
      const Job& job = jobs.jobs[j];
      const bool random_base = job.finetune.lora_on() && w.models[job.model].from.empty();
      by_model[{job.model, random_base ? job.hp.seed : 0}].push_back(j);
    }
    for (const auto& [model, members] : by_model)
      for (size_t first = 0; first + k <= members.size(); first += k)
        for (size_t n : group_nodes[r.group]) {
          PlanOption o;
          o.jobs.assign(members.begin() + static_cast<std::ptrdiff_t>(first), members.begin() + static_cast<std::ptrdiff_t>(first + k));
          o.technique = technique_name(Technique::Fused);
          o.knobs = r.entry.key.knobs;
          o.devices = 1;
          o.node = n;
          o.duration = duration(r, o.jobs.front());  // (one model's jobs: one data set)
          add(o, ri);
        }
  }
  return out;
}

void keep_executable(WorkloadProblem& wp) {
  auto& p = wp.problem;
  WorkloadProblem out;
  out.problem.jobs = p.jobs;
  out.problem.nodes = p.nodes;
  out.shapes = wp.shapes;
  out.view = wp.view;
  std::vector<bool> covered(p.jobs.size(), false);
  for (size_t o = 0; o < p.options.size(); ++o) {
    auto t = parse_technique(p.options[o].technique);
    if (!t || !engine_implements(*t)) continue;
    out.problem.options.push_back(p.options[o]);
    out.sources.push_back(wp.sources[o]);
    out.step_times.push_back(wp.step_times[o]);
    out.bands.push_back(wp.bands[o]);
    out.rows.push_back(wp.rows[o]);
    for (size_t j : p.options[o].jobs) covered[j] = true;
  }
  for (size_t j = 0; j < p.jobs.size(); ++j)
    if (!covered[j])
      throw data_error("job " + p.jobs[j] + ": no strategy the engine runs fits (`saturn plan` shows the estimated ones)");
  wp = std::move(out);
}

}  // namespace saturn
