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
    if (o.compare) {
      Table c;
      c.column("plan").column("makespan", Table::Align::Right).column("vs saturn", Table::Align::Right)
          .column("saturn is", Table::Align::Right);
      c.row({"saturn", human_duration(plan.makespan), "1.00x", ""});
      for (const auto& b : baselines)
        c.row({b.name, human_duration(b.plan.makespan), ratio(b.plan.makespan / plan.makespan),
               percent(1 - plan.makespan / b.plan.makespan) + " lower"});
      std::cout << c.render(term) << "\n";
    }
  }
  std::cerr << "plan: " << jobs.jobs.size() << " jobs on " << p.total_devices() << " devices ("
            << p.nodes.size() << (p.nodes.size() == 1 ? " node" : " nodes") << "): makespan "
            << human_duration(plan.makespan) << ", bound " << human_duration(plan.bound) << " (gap "
            << percent(plan.gap()) << "); " << plan.method << "; stopped: " << plan.stop << " after "
            << human_duration(plan.solve_s) << "; wrote " << plan_path << (o.svg.empty() ? "" : " and " + o.svg)
            << "\n";
  if (!plan.milp.empty()) std::cerr << "plan: milp: " << plan.milp << "\n";
  if (w.early_stopping.on())
    std::cerr << "plan: early stopping, " << early_stopping_text(w.early_stopping, w.train.steps)
              << "; saturn run plans every job to its first rung, then each wave to its next, re-planning at every "
                 "decision: this plan, every job to its end, is the most the search can take\n";
  if (const std::string f = forecast_text(r.profiling); !f.empty())
    std::cerr << "plan: the store lacks " << f
              << ": estimated here; `saturn profile` measures them, as `saturn run` does before it plans\n";
  return 0;
}

void add_plan(CLI::App& app, Action& action) {
  auto o = std::make_shared<PlanCmdOptions>();
  auto* sub = app.add_subcommand("plan", "Choose a strategy, devices and start time for every job (CBC); write plan.json");
  sub->add_option("workload", o->workload, "Workload file (YAML, see saturn-workload(5))")->required();
  sub->add_option("--store", o->store, "Profile store (SQLite; default $XDG_CACHE_HOME/saturn/profiles.db)");
  sub->add_option("--run-dir", o->run_dir, "Folder plan.json is written to (default runs/<workload name> next to the workload file)");
  sub->add_option("--time-limit", o->time_limit, "Solver time limit, e.g. 10s (default: planner.time_limit)");
  sub->add_option("--threads", o->threads, "CBC threads (default: planner.threads)")->check(at_least(1));
  sub->add_option("--svg", o->svg, "Write a Gantt chart of the plan (SVG) to this file");
  sub->add_flag("--compare", o->compare, "Also plan the baselines and print saturn's makespan against each");
  sub->add_flag("--json", o->json, "Print plan.json on stdout");
  sub->callback([o, &action] { action = [o] { return run_plan_cmd(*o); }; });
}

}  // namespace saturn::cmd
