// saturn report [RUN]: the run report, one self-contained HTML page
// (RUN/report.html, or --out FILE); --svg DIR writes its charts as SVG
// files, --json prints the data behind them. Reads state.db as it stands,
// so it also reports a run still going.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "app/run_report.h"
#include "commands.h"
#include "core/error.h"
#include "core/file.h"
#include "core/text.h"
#include "core/job.h"
#include "core/run_files.h"
#include "core/workload.h"
#include "exec/state.h"
#include "report/report_page.h"
#include "run_dir.h"

namespace saturn::cmd {
namespace {

struct ReportCmdOptions {
  std::string run;
  std::string out;   // "" = RUN/report.html (unless only --svg or --json asked for)
  std::string svg;
  bool json = false;
};

int run_report_cmd(const ReportCmdOptions& o) {
  const std::string dir = find_run_dir(o.run, "report");
  RunState state(run_files::state_path(dir), true);
  // The workload names the hyperparameters; a run whose workload file has
  // gone or changed is still reported, from the job ids.
  std::optional<Workload> workload;
  std::optional<JobSet> jobs;
  if (const auto path = state.meta("workload_path"); path && std::filesystem::is_regular_file(*path)) {
    try {
      workload = load_workload(*path, {nullptr, false, false});
      jobs = expand_jobs(*workload);
    } catch (const Error&) {
      workload.reset();
      jobs.reset();
    }
  }
  ReportSource src;
  src.run_dir = dir;
  src.saturn_version = SATURN_VERSION;
  src.workload = workload ? &*workload : nullptr;
  src.jobs = jobs ? &*jobs : nullptr;
  const ReportData data = gather_report(state, src);
  if (!o.svg.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.svg, ec);
    if (ec) throw io_error(o.svg, "cannot make the folder", ec.value());
    const auto charts = report_charts(data);
    for (const auto& c : charts) write_file_atomic((std::filesystem::path(o.svg) / (c.name + ".svg")).string(), c.svg + "\n");
    std::cerr << "report: " << charts.size() << " charts in " << o.svg << "\n";
  }
  if (o.json) std::cout << to_json(data).dump(2) << "\n";
  if (!o.out.empty() || (o.svg.empty() && !o.json)) {
    std::string path = o.out;
    if (path.empty()) path = write_report_html(data, dir);
    else write_file_atomic(path, report_html(data));
    std::cerr << "report: " << path << " (" << count_text(static_cast<int64_t>(data.jobs.size()), "job", "jobs") << ", "
              << count_text(static_cast<int64_t>(data.attempts.size()), "attempt bar", "attempt bars") << ", "
              << data.plans.size() << (data.plans.size() == 1 ? " plan" : " plans") << "); open it in a browser\n";
  }
  return 0;
}

}  // namespace

void add_report(CLI::App& app, Action& action) {
  auto o = std::make_shared<ReportCmdOptions>();
  auto* sub = app.add_subcommand("report", "Write a run's report: one HTML page of its leaderboard, curves, plan and events");
  sub->add_option("run", o->run, "Run directory or workload file (default: the latest under ./runs)");
  sub->add_option("--out", o->out, "Write the page here (default RUN/report.html)");
  sub->add_option("--svg", o->svg, "Write every chart as an SVG file into this folder");
  sub->add_flag("--json", o->json, "Print the data behind the charts as JSON on stdout");
  sub->callback([o, &action] { action = [o] { return run_report_cmd(*o); }; });
}

}  // namespace saturn::cmd
