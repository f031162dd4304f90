// saturn plan W.yaml: solve SPASE from the stored profiles (or estimates);
// write plan.json into the run folder; show the plan as a table and a Gantt
// chart; optionally compare it with the baselines.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "app/plan_workload.h"
#include "commands.h"
#include "core/early_stopping.h"
#include "core/usage_line.h"
#include "core/run_files.h"
#include "core/error.h"
#include "core/file.h"
#include "core/job.h"
#include "core/text.h"
#include "core/units.h"
#include "core/workload.h"
#include "plan/plan_json.h"
#include "profile/workload_problem.h"
#include "report/gantt.h"
#include "report/table.h"

namespace saturn::cmd {

struct PlanCmdOptions {
  std::string workload;     // the workload file
  std::string store;        // profile store; "" = ProfileStore::default_path()
  std::string run_dir;      // where plan.json goes; "" = runs/<workload name>
  std::string time_limit;   // solver time limit ("10s"); "" = the workload's planner.time_limit
  int64_t work_limit = 0;   // solver effort in nodes; 0 = the workload's planner.work_limit
  int64_t threads = 0;      // CBC threads; 0 = the workload's planner.threads
  std::string svg;          // write a Gantt chart here ("" = none)
  bool compare = false;     // plan the baselines too and print the ratios
  bool json = false;        // the plan as JSON on stdout
};

namespace {

std::string percent(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", x * 100);
  return b;
}
std::string ratio(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2fx", x);
  return b;
}
// A time on the plan's clock: "0" at the start, else human_duration.
std::string at(double s) { return s == 0 ? "0" : human_duration(s); }

Gantt plan_gantt(const WorkloadProblem& wp, const Plan& plan, const std::string& title) {
  const auto& p = wp.problem;
  Gantt g;
  g.title = title;
  g.makespan = plan.makespan;
  std::vector<size_t> first_lane;
  for (const auto& n : p.nodes) {
    first_lane.push_back(g.lanes.size());
    for (int64_t d = 0; d < n.devices; ++d) g.lanes.push_back(n.name + ":" + std::to_string(d));
  }
  for (const auto& a : plan.items) {
    const auto& o = p.options[a.option];
    std::string label, group;
    for (size_t j : o.jobs) label += (label.empty() ? "" : "+") + p.jobs[j];
    group = wp.shapes[o.jobs[0]];
    std::string detail = o.label() + ", " + at(a.start) + " .. " + at(a.end);
    for (int64_t d : a.device_ids) g.bars.push_back({first_lane[o.node] + static_cast<size_t>(d), a.start, a.end, label, group, detail});
  }
  return g;
}

// The estimated strategies and what `saturn run` does with each (profile:
// auto): those it measures first, then the others with the reason.
std::string measure_table(const PlannedWorkload& r, const Terminal& term) {
  Table t;
  t.column("shape").column("strategy").column("estimate", Table::Align::Right).column("band", Table::Align::Right)
      .column("trials", Table::Align::Right).column("before the run");
  std::vector<const MeasureCandidate*> rows;
  for (size_t ci : r.measure.order) rows.push_back(&r.measure.candidates[ci]);
  for (const auto& c : r.measure.candidates)
    if (!c.measure) rows.push_back(&c);
  const size_t shown = std::min<size_t>(rows.size(), 24);
  for (size_t i = 0; i < shown; ++i) {
    const MeasureCandidate& c = *rows[i];
    const ProfileRow& row = r.problem.view[c.row];
    t.row({r.jobs.shapes[row.shape].id,
           std::string(technique_name(row.entry.key.technique)) + " x" + std::to_string(row.entry.key.devices) +
               (row.entry.key.technique == Technique::Fused ? " (" + row.entry.key.knobs + ")" : ""),
           human_duration(row.entry.step_time) + "/step", "+-" + percent(row.band.width), human_duration(c.cost_s), c.why});
  }
  std::string out = t.render(term);
  if (rows.size() > shown) out += "(" + std::to_string(rows.size() - shown) + " more estimated strategies: --json lists them)\n";
  return out;
}

// "end to end about 17.1 s: measure 0.8 s (1 trial, profile: auto), then a makespan of 16.3 s"
std::string end_to_end_text(const PlannedWorkload& r) {
  const Workload& w = r.workload;
  std::string m;
  if (w.profile.mode == ProfileMode::None) m = "nothing measured (profile: none)";
  else if (r.profiling.trials == 0) m = "nothing to measure (profile: " + std::string(profile_mode_name(w.profile.mode)) + ")";
  else
    m = "measure " + human_duration(r.profiling.where_s) + " (" + std::to_string(r.profiling.trials) +
        (r.profiling.trials == 1 ? " trial" : " trials") + ", profile: " + profile_mode_name(w.profile.mode) +
        (r.profiling.unavailable > 0 ? ", " + std::to_string(r.profiling.unavailable) + " on devices not here" : "") + ")";
  return "end to end about " + human_duration(r.end_to_end()) + ": " + m + ", then a makespan of " +
         human_duration(r.plan.makespan);
}

}  // namespace

static int run_plan_cmd(const PlanCmdOptions& o) {
  // A run's plan.json is its runner's: planning again never rewrites it.
  const std::string run_dir =
      !o.run_dir.empty() ? o.run_dir : load_workload(o.workload, {nullptr, /*check_files=*/false}).default_run_dir();
  if (std::filesystem::exists(run_files::state_path(run_dir)))
    throw usage_error(run_dir + " holds a run (state.db): its plan is the run's; plan into another folder with "
                      "--run-dir DIR, or see the run's plan with saturn status " + run_dir);
  PlanWorkloadOptions po;
  po.workload = o.workload;
  po.store = o.store;
  po.time_limit = o.time_limit;
  po.work_limit = o.work_limit;
  po.threads = o.threads;
  po.compare = o.compare;
  po.cuda_here = std::filesystem::exists("/dev/nvidiactl");
  const PlannedWorkload r = plan_workload(po);
  const Workload& w = r.workload;
  const JobSet& jobs = r.jobs;
  const WorkloadProblem& wp = r.problem;
  const PlanProblem& p = wp.problem;
  const Plan& plan = r.plan;
  const nlohmann::json& doc = r.doc;
  const auto& baselines = r.baselines;
  const std::string plan_path = run_files::plan_path(run_dir);
  write_file_atomic(plan_path, doc.dump(2) + "\n");
  const Gantt gantt = plan_gantt(wp, plan, w.name + ": makespan " + human_duration(plan.makespan));
  if (!o.svg.empty()) write_file_atomic(o.svg, gantt_svg(gantt));

  if (o.json) {
    std::cout << doc.dump(2) << "\n";
  } else {
    const Terminal term = Terminal::detect(stdout);
    Table t;
    t.column("job").column("strategy").column("node").column("devices").column("start", Table::Align::Right)
        .column("end", Table::Align::Right).column("runtime", Table::Align::Right).column("source");
    for (const auto& a : plan.items) {
      const auto& opt = p.options[a.option];
      std::string ids;
      for (int64_t d : a.device_ids) ids += (ids.empty() ? "" : ",") + std::to_string(d);
      for (size_t j : opt.jobs)
        t.row({p.jobs[j], opt.label(), p.nodes[opt.node].name, ids,
               at(a.start), at(a.end), human_duration(a.end - a.start),
               a.pinned ? "running" : wp.sources[a.option]});
    }
    std::cout << t.render(term) << "\n";
    int64_t lanes = p.total_devices();
    if (lanes <= 64)
      std::cout << gantt_text(gantt, term, std::min(term.width, 120)) << "\n";
    else
      std::cout << "(no terminal Gantt chart for " << lanes << " devices; --svg FILE draws one)\n\n";
    if (!r.measure.candidates.empty()) std::cout << measure_table(r, term) << "\n";
    if (o.compare) {
      // End to end: the measurement each needs first, then its makespan.
      Table c;
      c.column("plan").column("measure", Table::Align::Right).column("makespan", Table::Align::Right)
          .column("end to end", Table::Align::Right).column("vs saturn", Table::Align::Right)
          .column("saturn is", Table::Align::Right);
      const double mine = r.end_to_end();
      c.row({"saturn (profile: " + std::string(profile_mode_name(w.profile.mode)) + ")", human_duration(r.profiling.where_s),
             human_duration(plan.makespan), human_duration(mine), "1.00x", ""});
      for (const auto& b : baselines)
        c.row({b.name, b.measure_s > 0 ? human_duration(b.measure_s) : "none", human_duration(b.plan.makespan),
               human_duration(b.end_to_end()), ratio(b.end_to_end() / mine),
               mine <= b.end_to_end() ? percent(1 - mine / b.end_to_end()) + " lower" : percent(mine / b.end_to_end() - 1) + " higher"});
      std::cout << c.render(term) << "\n";
    }
  }
  std::cerr << "plan: " << count_text(static_cast<int64_t>(jobs.jobs.size()), "job", "jobs") << " on "
            << count_text(p.total_devices(), "device", "devices") << " ("
            << p.nodes.size() << (p.nodes.size() == 1 ? " node" : " nodes") << "): makespan "
            << human_duration(plan.makespan) << ", bound " << human_duration(plan.bound) << " (gap "
            << percent(plan.gap()) << "); " << plan.method << "; stopped: " << plan.stop << " after "
            << human_duration(plan.solve_s) << "; wrote " << plan_path << (o.svg.empty() ? "" : " and " + o.svg)
            << "\n";
  if (!plan.milp.empty()) std::cerr << "plan: milp: " << plan.milp << "\n";
  if (w.early_stopping.on()) {
    // The rule trains about `share` of the steps: every job to its first
    // rung, then each rung's survivors on (expected_work_share).
    const double share = expected_work_share(w.early_stopping, w.train.steps);
    std::cerr << "plan: early stopping, " << early_stopping_text(w.early_stopping, w.train.steps)
              << "; saturn run plans every job to its first rung, then each wave to its next, re-planning at every "
                 "decision: about "
              << human_duration(plan.makespan * share) << " expected under the rule (it trains about "
              << percent(share) << " of the steps), at most " << human_duration(plan.makespan)
              << " (this plan, every job to its end)\n";
  }
  std::cerr << "plan: " << end_to_end_text(r) << "\n";
  return 0;
}

void add_plan(CLI::App& app, Action& action) {
  auto o = std::make_shared<PlanCmdOptions>();
  auto* sub = app.add_subcommand("plan", "Choose a strategy, devices and start time for every job (CBC); write plan.json");
  sub->add_option("workload", o->workload, "Workload file (YAML, see saturn-workload(5))")->required();
  sub->add_option("--store", o->store, "Profile store (SQLite; default $XDG_CACHE_HOME/saturn/profiles.db)");
  sub->add_option("--run-dir", o->run_dir, "Folder plan.json is written to (default runs/<workload name> next to the workload file)");
  sub->add_option("--time-limit", o->time_limit, "Solver time limit, e.g. 10s (default: planner.time_limit)");
  sub->add_option("--work-limit", o->work_limit,
                  "Solver effort in branch-and-bound nodes instead of time, e.g. 2000: the same plan on any machine "
                  "(default: planner.work_limit)");
  sub->add_option("--threads", o->threads, "CBC threads (default: planner.threads)")->check(at_least(1));
  sub->add_option("--svg", o->svg, "Write a Gantt chart of the plan (SVG) to this file");
  sub->add_flag("--compare", o->compare, "Also plan the baselines and print saturn's makespan against each");
  sub->add_flag("--json", o->json, "Print plan.json on stdout");
  sub->callback([o, &action] { action = [o] { return run_plan_cmd(*o); }; });
}

}  // namespace saturn::cmd
