#include "app/plan_workload.h"

#include "app/text_data.h"
#include "core/error.h"
#include "plan/baselines.h"
#include "plan/check.h"
#include "plan/plan_json.h"
#include "profile/store.h"
#include "profile/trials.h"

namespace saturn {

PlannedWorkload plan_workload(const PlanWorkloadOptions& o) {
  PlannedWorkload r;
  r.workload = load_workload(o.workload);
  const Workload& w = r.workload;
  r.options = plan_options(w, o.time_limit, o.threads, o.work_limit);
  r.jobs = expand_jobs(w);
  const TextTokenCounts counted = prepare_text_data(w, r.jobs, true).counts;
  ProfileStore store(o.store.empty() ? ProfileStore::default_path() : o.store);
  r.problem = workload_problem(w, r.jobs, device_groups(w, o.cuda_here), store, counted);
  r.profiling = forecast_measurement(w, r.jobs, r.problem, store, o.cuda_here, w.profile.mode, &r.measure);
  const PlanProblem& p = r.problem.problem;
  r.plan = solve_plan(p, r.options);
  if (o.compare) {
    const double full = forecast_profile(w, r.jobs, store, o.cuda_here).where_s;
    for (Baseline b : all_baselines()) {
      Plan bp = baseline_plan(p, b);
      auto bad = check_plan(p, bp);
      if (!bad.empty()) throw internal_error(std::string("baseline ") + baseline_name(b) + " fails its check: " + bad[0]);
      r.baselines.push_back({baseline_name(b), std::move(bp), baseline_measures(b) ? full : 0});
    }
  }
  // plan.json: the plan, plus where each runtime came from.
  r.doc = plan_json(p, r.plan);
  r.doc["workload"] = w.name;
  r.doc["time_limit_s"] = r.options.time_limit;
  if (r.options.work_limit > 0) r.doc["work_limit"] = r.options.work_limit;
  r.doc["profiling"] = {{"mode", profile_mode_name(w.profile.mode)}, {"trials", r.profiling.trials},
                        {"unavailable", r.profiling.unavailable}, {"seconds", r.profiling.where_s}};
  r.doc["end_to_end_s"] = r.end_to_end();
  size_t k = 0;
  for (const auto& a : r.plan.items)
    for (size_t j = 0; j < p.options[a.option].jobs.size(); ++j, ++k) {
      r.doc["jobs"][k]["source"] = r.problem.sources[a.option];
      r.doc["jobs"][k]["step_time_s"] = r.problem.step_times[a.option];
      r.doc["jobs"][k]["band"] = r.problem.bands[a.option];
    }
  nlohmann::json verdicts = nlohmann::json::array();
  for (const auto& c : r.measure.candidates) {
    const ProfileRow& row = r.problem.view[c.row];
    verdicts.push_back({{"shape", r.jobs.shapes[row.shape].id}, {"technique", technique_name(row.entry.key.technique)},
                        {"knobs", row.entry.key.knobs}, {"devices", row.entry.key.devices},
                        {"step_time_s", row.entry.step_time}, {"band", row.band.width}, {"basis", row.band.basis},
                        {"trials", c.trials.size()}, {"trial_s", c.cost_s}, {"gain_s", c.gain_s}, {"measure", c.measure},
                        {"why", c.why}});
  }
  r.doc["profiling"]["strategies"] = verdicts;
  if (o.compare) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& b : r.baselines)
      arr.push_back({{"name", b.name}, {"makespan_s", b.plan.makespan}, {"ratio", b.plan.makespan / r.plan.makespan},
                     {"measure_s", b.measure_s}, {"end_to_end_s", b.end_to_end()},
                     {"end_to_end_ratio", b.end_to_end() / r.end_to_end()}});
    r.doc["baselines"] = arr;
  }
  return r;
}

}  // namespace saturn
