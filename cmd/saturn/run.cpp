// saturn run W.yaml: validate; profile what the store lacks; plan; execute
// the plan with worker process groups on this machine's devices, re-planning
// as measured progress comes in; resume where a previous run of the same
// run directory stopped; end with the leaderboard.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/machine_warnings.h"
#include "app/run_report.h"
#include "app/run_session.h"
#include "exec/slurm_requeue.h"
#include "commands.h"
#include "core/early_stopping.h"
#include "core/usage_line.h"
#include "core/error.h"
#include "core/text.h"
#include "core/units.h"
#include "report/table.h"
#include "run_view.h"

namespace saturn::cmd {

struct RunCmdOptions {
  SessionOptions session;
  bool dry_run = false;        // show what would run; run nothing, write nothing
  bool json = false;           // leaderboard as JSON on stdout
  bool slurm_script = false;   // print an sbatch script for the plan; run and write nothing
  std::string partition, account, qos;  // --slurm-script: #SBATCH options
  std::vector<std::string> sbatch;      // --slurm-script: more #SBATCH options
};

namespace {

// A loss as the leaderboard prints it: four decimals.
std::string four_places(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", x);
  return b;
}

std::string clock_text(double s) {
  char b[32];
  const int t = static_cast<int>(s);
  std::snprintf(b, sizeof b, "%d:%02d", t / 60, t % 60);
  return b;
}

// Progress on a TTY: one bar per job that is running (and a line of totals),
// redrawn in place; events print above it.
class ProgressView {
 public:
  explicit ProgressView(const Terminal& term) : term_(term) {}
  void event(const EventRecord& e) {
    clear();
    std::cerr << line(e) << "\n";
    draw();
  }
  void tick(const RunSnapshot& s) {
    clear();
    last_ = s;
    draw();
  }
  void finish() { clear(); }
  static std::string line(const EventRecord& e) {
    return "run: " + e.kind + (e.job.empty() ? "" : " " + e.job) + ": " + e.message;
  }

 private:
  void clear() {
    if (!term_.tty || drawn_ == 0) return;
    for (int i = 0; i < drawn_; ++i) std::cerr << "\033[1A\033[2K";
    std::cerr << "\r";
    drawn_ = 0;
  }
  void draw() {
    if (!term_.tty || last_.jobs.empty()) return;
    int64_t steps = 0, done = 0, finished = 0;
    for (const auto& j : last_.jobs) {
      steps += j.steps;
      done += std::min(j.step, j.steps);
      finished += j.status == JobStatus::Done || j.status == JobStatus::Failed || j.status == JobStatus::Stopped;
    }
    for (const auto& j : last_.jobs) {
      if (j.status != JobStatus::Running) continue;
      const int width = 24;
      const int filled = j.steps > 0 ? static_cast<int>(width * std::min(j.step, j.steps) / j.steps) : 0;
      std::cerr << "  [" << std::string(static_cast<size_t>(filled), '#') << std::string(static_cast<size_t>(width - filled), '.')
                << "] " << j.step << "/" << j.steps << "  " << j.id << "  " << j.strategy
                << (std::isnan(j.loss) ? "" : "  loss " + four_places(j.loss))
                << (j.step_s > 0 ? "  " + human_duration(j.step_s) + "/step" : "") << "\n";
      ++drawn_;
    }
    std::cerr << term_.style("  " + std::to_string(finished) + "/" + std::to_string(last_.jobs.size()) + " jobs, " +
                                 std::to_string(steps > 0 ? 100 * done / steps : 0) + "% of steps, " +
                                 clock_text(last_.elapsed) + " elapsed" +
                                 (last_.eta >= 0 ? ", ETA " + clock_text(last_.eta) : "") + " (plan v" +
                                 std::to_string(last_.plan_version) + ")",
                             "1")
              << "\n";
    ++drawn_;
  }
  Terminal term_;
  RunSnapshot last_;
  int drawn_ = 0;
};

void print_dry_run(const PlannedRun& pr, const std::string& run_dir, size_t jobs, const Workload& w) {
  if (pr.existing && jobs > 0 && pr.reuse.reused.size() == jobs && !pr.reuse.edited()) {
    std::cerr << "run: dry run: all " << jobs << " jobs of " << run_dir
              << " are done: `saturn run` would print the leaderboard (rm -rf " << run_dir
              << " starts over); nothing was written\n";
    return;
  }
  const auto& p = pr.problem.problem;
  Table t;
  t.column("job").column("strategy").column("node").column("devices").column("start", Table::Align::Right)
      .column("end", Table::Align::Right).column("source");
  for (const auto& a : pr.plan.items) {
    const auto& o = p.options[a.option];
    std::vector<std::string> ids;
    for (auto d : a.device_ids) ids.push_back(std::to_string(d));
    for (size_t j : o.jobs)
      t.row({p.jobs[j], o.label(), p.nodes[o.node].name, join(ids, ","),
             a.start == 0 ? "0" : human_duration(a.start), human_duration(a.end), pr.problem.sources[a.option]});
  }
  std::cout << t.render(Terminal::detect(stdout));
  const std::string profiling = forecast_text(pr.profiling);
  if (pr.profiling.unavailable > 0)
    std::cerr << "run: dry run: " << pr.profiling.unavailable
              << " trials are on devices this machine does not have: not measured, estimated\n";
  const double measure = pr.would_profile ? pr.profiling.seconds : 0;
  std::cerr << "run: dry run: would " << (profiling.empty() ? std::string() : "measure " + profiling + " first (profile: " +
                                                                              profile_mode_name(pr.mode) + "), then ")
            << "run " << count_text(static_cast<int64_t>(planned_jobs(pr.plan, pr.problem.problem)), "job", "jobs") << " in "
            << human_duration(pr.plan.makespan) << " (plan: " << pr.plan.method;
  if (w.early_stopping.on()) {  // the plan takes every job to its end: the most the search can take
    const double share = expected_work_share(w.early_stopping, w.train.steps);
    std::cerr << "; every job to its end: at most; about " << human_duration(pr.plan.makespan * share)
              << " expected under early stopping";
  }
  std::cerr << "): end to end about "
            << human_duration(measure + pr.plan.makespan) << "; ";
  if (pr.existing)
    std::cerr << run_dir << " holds a run of it: `saturn run` would resume it (" << pr.reuse.text(run_dir)
              << "); nothing was written\n";
  else
    std::cerr << "it would write " << run_dir << "; nothing was written\n";
}

// RUN/report.html of the run as it stands; "" when it could not be
// written (said in one warning line: the run itself is not affected).
std::string write_run_report(const RunSession& session) {
  if (!session.state()) return "";
  try {
    ReportSource src;
    src.run_dir = session.run_dir();
    src.saturn_version = SATURN_VERSION;
    src.workload = &session.workload();
    src.jobs = &session.jobs();
    return write_report_html(gather_report(*session.state(), src), session.run_dir());
  } catch (const Error& e) {
    std::cerr << "run: warning: no report: " << e.what() << "\n";
    return "";
  }
}

}  // namespace

static int run_run_cmd(RunCmdOptions o) {
  for (const auto& [flag, given] : {std::pair<const char*, bool>{"--partition", !o.partition.empty()},
                                    {"--account", !o.account.empty()}, {"--qos", !o.qos.empty()},
                                    {"--sbatch", !o.sbatch.empty()}})
    if (given && !o.slurm_script) throw usage_error(std::string(flag) + ": only with --slurm-script");
  if (!o.partition.empty()) o.session.sbatch.push_back("--partition=" + o.partition);
  if (!o.account.empty()) o.session.sbatch.push_back("--account=" + o.account);
  if (!o.qos.empty()) o.session.sbatch.push_back("--qos=" + o.qos);
  for (const auto& line : o.sbatch) {
    if (line.rfind("--", 0) != 0 || line.find('\n') != std::string::npos)
      throw usage_error("--sbatch: expected one sbatch option such as --mail-type=END, got " + saturn::quoted(line));
    o.session.sbatch.push_back(line);
  }
  o.session.plan_only = o.dry_run || o.slurm_script;
  o.session.saturn = self_executable();
  o.session.version = SATURN_VERSION;
  o.session.cuda_here = std::filesystem::exists("/dev/nvidiactl");
  RunSession session(o.session);
  const std::string& run_dir = session.run_dir();
  if (session.smoke())
    std::cerr << "run: smoke run: " << count_text(static_cast<int64_t>(session.jobs().jobs.size()), "job", "jobs")
              << (o.session.smoke_steps > 0 ? ", " + std::to_string(o.session.smoke_steps) + " steps each" : "")
              << ", nothing measured, in " << run_dir << " (the real run's directory is not touched)\n";
  for (const auto& line : session.data_warnings()) std::cerr << "run: warning: " << line << "\n";
  if (!o.slurm_script)  // a script runs on the nodes Slurm gives it
    for (const auto& line : machine_warnings(session.workload(), std::thread::hardware_concurrency(), o.session.cuda_here))
      std::cerr << "run: warning: " << line << "\n";
  if (o.session.plan_only) {
    const PlannedRun p = session.plan();
    const size_t all = session.jobs().jobs.size();
    if (o.slurm_script && p.existing && all > 0 && p.reuse.reused.size() == all && !p.reuse.edited()) {
      std::cout << session.slurm_script(p);
      std::cerr << "run: --slurm-script: all " << all << " jobs of " << run_dir
                << " are done: the job would print the leaderboard; nothing was submitted or written\n";
    } else if (o.slurm_script) {
      std::cout << session.slurm_script(p);
      std::cerr << "run: --slurm-script: " << count_text(static_cast<int64_t>(planned_jobs(p.plan, p.problem.problem)), "job", "jobs") << " planned in "
                << human_duration(p.plan.makespan) << " (plan: " << p.plan.method << ")";
      if (p.would_profile && p.profiling.trials > 0)
        std::cerr << " after measuring " << p.profiling.trials << (p.profiling.trials == 1 ? " trial" : " trials")
                  << " for about " << human_duration(p.profiling.where_s) << " (profile: " << profile_mode_name(p.mode)
                  << "): end to end about " << human_duration(p.profiling.where_s + p.plan.makespan);
      std::cerr << "; nothing was submitted or written\n";
    } else {
      print_dry_run(p, run_dir, session.jobs().jobs.size(), session.workload());
    }
    return 0;
  }

  const Terminal err = Terminal::detect(stderr);
  ProgressView view(err);
  SessionHooks hooks;
  hooks.say = [&](const std::string& line) { view.event({0, 0, "info", "", line}); };
  hooks.on_event = [&](const EventRecord& e) { view.event(e); };
  hooks.on_tick = [&](const RunSnapshot& s) {
    if (err.tty) view.tick(s);
  };
  hooks.tick = err.tty ? 0.5 : 5;
  hooks.requeue = [&](const SlurmAllocation& a, const std::string& dir) {
    view.finish();
    requeue_slurm_job(a, dir, [](const std::string& line) { std::cerr << "run: " << line << "\n"; });
  };
  const RunSummary s = session.run(hooks);
  view.finish();
  if (!session.trained()) return s.exit_code;

  const JobSet& jobs = session.jobs();
  std::cerr << "run: " << s.done << " of " << count_text(static_cast<int64_t>(jobs.jobs.size()), "job", "jobs") << " done";
  if (s.stopped) std::cerr << ", " << s.stopped << " stopped early";
  if (s.failed) std::cerr << ", " << s.failed << " failed";
  if (s.pending) std::cerr << ", " << s.pending << " not finished";
  if (s.elapsed > 0 && session.workload().early_stopping.on())  // each plan reaches one wave's rungs only
    std::cerr << "; makespan " << human_duration(s.elapsed) << " (" << s.plan_versions
              << (s.plan_versions == 1 ? " plan" : " plans") << (o.session.fixed_rungs ? ", fixed" : ", one per rung decision")
              << ")";
  else if (s.elapsed > 0)
    std::cerr << "; makespan " << human_duration(s.elapsed) << " (plan predicted " << human_duration(s.predicted) << ")";
  if (s.elapsed > 0 && session.measured_s() > 0)
    std::cerr << "; end to end " << human_duration(session.measured_s() + s.elapsed) << " with "
              << human_duration(session.measured_s()) << " of measurement";
  std::cerr << "; " << run_dir << "\n";
  const std::string report = write_run_report(session);
  if (s.exit_code >= 128) {
    if (!report.empty()) std::cerr << "run: report so far: " << report << "\n";
    std::cerr << "run: stopped; every job kept its checkpoint: run the same command to resume\n";
    return s.exit_code;
  }
  const RunState& state = *session.state();
  if (o.json) {
    std::cout << nlohmann::json{{"workload", session.workload().name}, {"run_dir", run_dir}, {"makespan_s", s.elapsed},
                                {"predicted_s", s.predicted}, {"leaderboard", leaderboard_json(state, &jobs)}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << leaderboard_text(state, &jobs, Terminal::detect(stdout));
#ifdef SATURN_WITH_TORCH
    if (!best_job(state).empty())
      std::cerr << "run: export the best as a Hugging Face folder: saturn export " << run_dir << " --out DIR\n";
#endif
  }
  if (s.failed) std::cerr << "run: " << s.failed << " job(s) failed (see " << run_dir << "/logs/); run again to retry them\n";
  if (!report.empty()) std::cerr << "run: report: " << report << " (open it in a browser)\n";
  return s.exit_code;
}

// RUN: a run directory, a workload file (its default run directory), or
// nothing (the only run, else the latest, under ./runs).
void add_run(CLI::App& app, Action& action) {
  auto o = std::make_shared<RunCmdOptions>();
  auto* sub = app.add_subcommand("run", "Profile, plan and train the whole workload; resume a stopped run");
  sub->add_option("workload", o->session.workload, "Workload file (YAML, see saturn-workload(5))")->required();
  sub->add_option("--run-dir", o->session.run_dir, "Run directory (default runs/<workload name> next to the workload file)");
  sub->add_option("--store", o->session.store, "Profile store (SQLite; default $XDG_CACHE_HOME/saturn/profiles.db)");
  sub->add_option("--time-limit", o->session.time_limit, "Solver time limit (default: the workload's planner.time_limit)");
  sub->add_option("--work-limit", o->session.work_limit,
                  "Solver effort in branch-and-bound nodes instead of a time limit: the first plan depends on the "
                  "workload and the store alone (default: planner.work_limit)");
  sub->add_option("--threads", o->session.threads, "Solver threads (default: the workload's planner.threads)")
      ->check(at_least(1));
  sub->add_option("--max-restarts", o->session.max_restarts, "Relaunches of a job whose worker dies (default 2)")
      ->check(at_least(0));
  sub->add_option("--baseline", o->session.baseline, "Execute a baseline's plan instead (e.g. current-practice)");
  sub->add_flag("--no-profile", o->session.no_profile, "Measure nothing; plan from the store and estimates (= --profile none)");
  sub->add_option("--profile", o->session.profile,
                  "What to measure before planning: auto (what can change the plan, within profile.budget), full "
                  "(everything the store lacks) or none (default: the workload's profile.mode, auto)")
      ->check(CLI::IsMember({"auto", "full", "none"}));
  sub->add_option_function<std::string>(
         "--rung-plan", [o](const std::string& v) { o->session.fixed_rungs = v == "fixed"; },
         "Early stopping: re-plan on every rung decision (joint, the default) or keep the first plan (fixed)")
      ->check(CLI::IsMember({"joint", "fixed"}));
  sub->add_option("--steps", o->session.smoke_steps,
                  "Smoke run: train every job this many steps in runs/<name>-smoke; the real run is not touched")
      ->check(at_least(1));
  sub->add_option("--jobs", o->session.smoke_jobs,
                  "Smoke run: only jobs whose id matches this glob (a model name: all its jobs; repeatable)");
  sub->add_flag("--dry-run", o->dry_run, "Show the plan that would run; run and write nothing");
  sub->add_flag("--json", o->json, "Print the leaderboard as JSON on stdout");
  sub->add_flag("--slurm-script", o->slurm_script,
                "Print an sbatch script for the plan (nodes, GPUs, time, USR1 signal, requeue); submit nothing");
  sub->add_option("--partition", o->partition, "--slurm-script: the Slurm partition (#SBATCH --partition)");
  sub->add_option("--account", o->account, "--slurm-script: the Slurm account (#SBATCH --account)");
  sub->add_option("--qos", o->qos, "--slurm-script: the Slurm QOS (#SBATCH --qos)");
  sub->add_option("--sbatch", o->sbatch, "--slurm-script: one more #SBATCH option, e.g. --sbatch=--mail-type=END (repeatable)");
  sub->callback([o, &action] { action = [o] { return run_run_cmd(*o); }; });
}

}  // namespace saturn::cmd
