// saturn run W.yaml: validate; profile what the store lacks; plan; execute
// the plan with worker process groups on this machine's devices, re-planning
// as measured progress comes in; resume where a previous run of the same
// run directory stopped; end with the leaderboard.
#include <unistd.h>

#include <csignal>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/error.h"
#include "core/file.h"
#include "core/hash.h"
#include "core/job.h"
#include "core/slurm_env.h"
#include "core/text.h"
#include "core/units.h"
#include "core/workload.h"
#include "exec/local_launcher.h"
#include "exec/run_lock.h"
#include "exec/runner.h"
#include "exec/signals.h"
#include "exec/slurm_launcher.h"
#include "exec/state.h"
#include "plan/baselines.h"
#include "plan/plan_json.h"
#include "profile/workload_problem.h"
#include "profile/profiler.h"
#include "profile/runtime.h"
#include "report/table.h"
#include "run_view.h"
#include "exec/slurm_script.h"

namespace saturn::cmd {

struct RunCmdOptions {
  std::string workload;        // the workload file
  std::string store;           // profile store; "" = ProfileStore::default_path()
  std::string run_dir;         // "" = runs/<workload name>
  std::string time_limit;      // solver time limit; "" = the workload's
  int64_t threads = 0;         // CBC threads; 0 = the workload's
  int64_t max_restarts = 2;    // relaunches of a failing job
  std::string baseline;        // execute this baseline's plan instead ("" = saturn's)
  bool no_profile = false;     // plan from what is stored and estimated; measure nothing
  bool dry_run = false;        // show what would run; run nothing, write nothing
  bool json = false;           // leaderboard as JSON on stdout
  bool slurm_script = false;   // print an sbatch script for the plan; run and write nothing
};

namespace {

// A stop signal (SIGINT, SIGTERM, SIGUSR1) that came before the runner's
// SignalPipe took over: while profiling, it stops the trials; while
// planning, saturn stops before training.
volatile std::sig_atomic_t g_run_profile_stop = 0;
extern "C" void on_run_profile_signal(int sig) { g_run_profile_stop = sig; }

// Routes the stop signals to g_run_profile_stop for its lifetime.
class EarlyStopSignals {
 public:
  EarlyStopSignals() {
    struct sigaction sa {};
    sa.sa_handler = on_run_profile_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &sa, &old_[i]);
  }
  ~EarlyStopSignals() {
    for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
  }
  EarlyStopSignals(const EarlyStopSignals&) = delete;
  EarlyStopSignals& operator=(const EarlyStopSignals&) = delete;

 private:
  static constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGUSR1};
  struct sigaction old_[3] {};
};

std::string workload_fingerprint(const Workload& w, const JobSet& jobs) {
  std::string text = canonical(w.train);
  for (const auto& j : jobs.jobs) text += "\n" + j.id + "=" + j.hash;
  return content_hash(text);
}

std::optional<Baseline> parse_baseline(const std::string& name) {
  for (Baseline b : all_baselines()) {
    std::string n = baseline_name(b);
    for (char& c : n)
      if (c == ' ') c = '-';
    if (n == name) return b;
  }
  return std::nullopt;
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
      finished += j.status == JobStatus::Done || j.status == JobStatus::Failed;
    }
    for (const auto& j : last_.jobs) {
      if (j.status != JobStatus::Running) continue;
      const int width = 24;
      const int filled = j.steps > 0 ? static_cast<int>(width * std::min(j.step, j.steps) / j.steps) : 0;
      std::cerr << "  [" << std::string(static_cast<size_t>(filled), '#') << std::string(static_cast<size_t>(width - filled), '.')
                << "] " << j.step << "/" << j.steps << "  " << j.id << "  " << j.strategy << "\n";
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

void print_dry_run(const WorkloadProblem& wp, const Plan& plan, const RunState* st, const std::string& run_dir) {
  const auto& p = wp.problem;
  Table t;
  t.column("job").column("strategy").column("node").column("devices").column("start", Table::Align::Right)
      .column("end", Table::Align::Right).column("source");
  for (const auto& a : plan.items) {
    const auto& o = p.options[a.option];
    std::vector<std::string> ids;
    for (auto d : a.device_ids) ids.push_back(std::to_string(d));
    t.row({p.jobs[o.jobs[0]], o.technique + " x" + std::to_string(o.devices), p.nodes[o.node].name, join(ids, ","),
           a.start == 0 ? "0" : human_duration(a.start), human_duration(a.end), wp.sources[a.option]});
  }
  std::cout << t.render(Terminal::detect(stdout));
  std::cerr << "run: dry run: would run " << plan.items.size() << " jobs in " << human_duration(plan.makespan)
            << " (plan: " << plan.method << "); ";
  if (st) {
    int64_t done = 0;
    for (const auto& j : st->jobs()) done += j.status == JobStatus::Done;
    std::cerr << run_dir << " holds a run with " << done << " jobs done: `saturn run` would resume it\n";
  } else {
    std::cerr << "nothing was written\n";
  }
}

// The sbatch script for a plan (--slurm-script).
void print_slurm_script(const RunCmdOptions& o, const Workload& w, const WorkloadProblem& wp, const Plan& plan,
                        const std::string& run_dir) {
  if (!w.cluster.slurm && w.cluster.instances().size() > 1)
    throw usage_error("--slurm-script: the workload lists " + std::to_string(w.cluster.instances().size()) +
                      " nodes; say `cluster: slurm` so the job plans on the nodes Slurm gives it");
  const Node& n = w.cluster.slurm ? *w.cluster.slurm : w.cluster.nodes.front();
  std::set<size_t> used;
  for (const auto& a : plan.items) used.insert(wp.problem.options[a.option].node);
  SlurmScriptInput in;
  in.workload = o.workload;
  in.name = w.name;
  in.run_dir = o.run_dir.empty() ? "" : run_dir;
  in.nodes = std::max<int64_t>(1, static_cast<int64_t>(used.size()));
  in.gpus_per_node = n.kind == DeviceKind::Cpu ? 0 : n.count;
  in.tasks_per_node = n.count;
  in.cpus_per_task = n.kind == DeviceKind::Cpu ? n.threads : 4;
  in.makespan_s = plan.makespan;
  in.jobs = static_cast<int64_t>(wp.problem.jobs.size());
  in.devices = std::to_string(in.nodes) + " x " + std::to_string(n.count) + " " +
               (n.kind == DeviceKind::Cpu ? "cpu" : n.model.empty() ? "GPU" : n.model);
  std::cout << slurm_script(in);
  std::cerr << "run: --slurm-script: " << plan.items.size() << " jobs planned in " << human_duration(plan.makespan)
            << " (plan: " << plan.method << "); nothing was submitted or written\n";
}

// Requeues the Slurm job this run is (after SIGUSR1 stopped it): the job
// starts again later and resumes the run directory.
void requeue(const SlurmAllocation& a, const std::string& run_dir) {
  std::string out;
  int status = -1;
  if (FILE* p = ::popen(("scontrol requeue " + a.job_id + " 2>&1").c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    status = ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (status == 0)
    std::cerr << "run: Slurm job " << a.job_id << " requeued: it resumes " << run_dir << " when it starts again\n";
  else
    std::cerr << "run: scontrol requeue " << a.job_id << " failed" << (out.empty() ? "" : " (" + excerpt(out, 200) + ")")
              << ": submit the same script again to resume " << run_dir << "\n";
}

}  // namespace

static int run_run_cmd(const RunCmdOptions& o) {
  LoadOptions load;
  load.resolve_slurm = false;  // resolved here, once, keeping the allocation
  Workload w = load_workload(o.workload, load);
  // `cluster: slurm` inside a job: the allocation becomes the cluster.
  const std::optional<SlurmAllocation> slurm = resolve_slurm_cluster(w, o.workload, slurm_environment());
  const JobSet jobs = expand_jobs(w);
  const std::string run_dir = o.run_dir.empty() ? "runs/" + w.name : o.run_dir;
  if (w.cluster.slurm && !slurm && !o.dry_run && !o.slurm_script)
    throw Error(ErrorKind::Unavailable,
                "cluster: slurm: not inside a Slurm job (SLURM_JOB_ID is unset): submit it with sbatch "
                "(saturn run --slurm-script prints a script), or list the nodes under cluster.nodes");
  std::optional<Baseline> baseline;
  if (!o.baseline.empty()) {
    baseline = parse_baseline(o.baseline);
    if (!baseline)
      throw usage_error("--baseline: " + saturn::quoted(o.baseline) +
                        " is not a baseline (current-practice, optimus-greedy, max-heuristic, min-heuristic, random)");
  }
  if (o.max_restarts < 0) throw usage_error("--max-restarts: expected 0 or more");
  const PlanOptions po = plan_options(w, o.time_limit, o.threads);
  const bool cuda_here = std::filesystem::exists("/dev/nvidiactl");
  const auto groups = device_groups(w, cuda_here);
  const std::string fingerprint = workload_fingerprint(w, jobs);
  const std::string state_path = run_dir + "/state.db";
  const bool existing = std::filesystem::exists(state_path);
  ProfileStore store(o.store.empty() ? ProfileStore::default_path() : o.store);

  if (o.dry_run || o.slurm_script) {
    std::unique_ptr<RunState> st;
    if (existing) st = std::make_unique<RunState>(state_path, true);
    WorkloadProblem wp = workload_problem(w, jobs, groups, store);
    keep_executable(wp);
    const Plan plan = baseline ? baseline_plan(wp.problem, *baseline) : solve_plan(wp.problem, po);
    if (o.slurm_script) print_slurm_script(o, w, wp, plan, run_dir);
    else print_dry_run(wp, plan, st.get(), run_dir);
    return 0;
  }

  RunLock lock(run_dir);
  auto early = std::make_unique<EarlyStopSignals>();
  RunState state(state_path);
  if (auto fp = state.meta("fingerprint"); fp && *fp != fingerprint)
    throw data_error(run_dir + ": holds a run of a different workload (its jobs or training settings differ); "
                     "use --run-dir for a new run, or remove " + run_dir);
  state.set_meta("fingerprint", fingerprint);
  state.set_meta("workload", w.name);
  state.set_meta("workload_path", std::filesystem::absolute(o.workload).string());

  const Terminal err = Terminal::detect(stderr);
  ProgressView view(err);
  auto say = [&](const std::string& line) { view.event({0, 0, "info", "", line}); };
  if (slurm)
    say("Slurm job " + slurm->job_id + ": " + std::to_string(slurm->hosts.size()) + " node(s) " +
        join(slurm->hosts, ",") + ", " + std::to_string(slurm->gpus_per_node) + " GPU(s) each" +
        (slurm->restart_count > 0 ? "; requeued (restart " + std::to_string(slurm->restart_count) + "): resuming " + run_dir
                                  : ""));

  // Profile what the store lacks (a resumed run planned already).
  if (!o.no_profile && !state.latest_plan()) {
    ProfileOptions pr;
    pr.workload_path = o.workload;
    pr.saturn = self_executable();
    pr.scratch = (std::filesystem::temp_directory_path() / ("saturn-run-profile-" + std::to_string(::getpid()))).string();
    pr.cuda_here = cuda_here;
    pr.version = SATURN_VERSION;
    pr.stop = &g_run_profile_stop;
    pr.on_event = [&](const ProfileEvent& e) {
      if (e.kind == ProfileEvent::Done && e.entry)
        say("profile [" + std::to_string(e.done) + "/" + std::to_string(e.total) + "] " +
            jobs.shapes[e.trial->shape].id + " " + technique_name(e.trial->key.technique) + " x" +
            std::to_string(e.trial->key.devices) + ": " +
            (e.entry->feasible ? human_duration(e.entry->step_time) + "/step" : "infeasible: " + e.entry->reason));
      else if (e.kind == ProfileEvent::Fail)
        say("profile: " + jobs.shapes[e.trial->shape].id + ": failed: " + e.message);
    };
    const ProfileSummary s = run_profile(w, jobs, store, pr);
    if (s.measured > 0 || s.failed > 0)
      say("profile: " + std::to_string(s.measured) + " measured, " + std::to_string(s.stored) + " already stored in " +
          human_duration(s.wall_s));
    if (s.interrupted) {
      say("interrupted while profiling; what was measured is kept");
      if (slurm && g_run_profile_stop == SIGUSR1) requeue(*slurm, run_dir);
      return 128 + static_cast<int>(g_run_profile_stop);
    }
  }

  WorkloadProblem wp = workload_problem(w, jobs, groups, store);
  keep_executable(wp);
  RunInput in;
  in.problem = wp.problem;
  for (const auto& j : jobs.jobs) in.jobs.push_back({jobs.shapes[j.shape].id, job_steps(w, j)});

  LocalLauncherOptions lo;
  lo.saturn = self_executable();
  lo.workload = o.workload;
  lo.run_dir = run_dir;
  for (size_t i = 0; i < w.cluster.nodes.size(); ++i) {
    const Node& n = w.cluster.nodes[i];
    const bool cuda = n.kind == DeviceKind::Cuda || (n.kind == DeviceKind::Auto && cuda_here);
    LocalNode ln{n.name, cuda, n.threads > 0 ? n.threads : 1};
    if (slurm) {  // nodes are the allocation's hosts, in its order
      ln.gpus = n.kind != DeviceKind::Cpu ? slurm->gpus_per_node : 0;
      ln.cpus_per_rank = std::max<int64_t>(1, slurm->cpus[i] / std::max<int64_t>(1, n.count));
    }
    lo.nodes.push_back(ln);
  }
  if (g_run_profile_stop) {  // stopped while planning: nothing started yet
    say(std::string("stopped by signal ") + std::to_string(g_run_profile_stop) + " before training started");
    if (slurm && g_run_profile_stop == SIGUSR1) requeue(*slurm, run_dir);
    return 128 + static_cast<int>(g_run_profile_stop);
  }
  early.reset();
  SignalPipe signals({SIGUSR1});
  std::unique_ptr<LocalLauncher> launcher_ptr =
      slurm ? std::make_unique<SlurmLauncher>(lo, signals) : std::make_unique<LocalLauncher>(lo, signals);
  Launcher& launcher = *launcher_ptr;

  RunOptions ro;
  ro.max_restarts = o.max_restarts;
  ro.plan = po;
  ro.interval = baseline ? 0 : w.planner.introspection_interval;
  ro.threshold = w.planner.introspection_threshold;
  ro.replan_time_limit = std::clamp(ro.interval / 10, 0.2, po.time_limit);
  if (baseline) {
    ro.initial = baseline_plan(wp.problem, *baseline);
    ro.initial_reason = std::string("baseline: ") + baseline_name(*baseline);
  }
  ro.tick = err.tty ? 0.5 : 5;
  ro.plan_doc = [&](const Plan& plan) {
    nlohmann::json doc = plan_json(wp.problem, plan);
    doc["workload"] = w.name;
    const std::string text = doc.dump(2);
    write_file_atomic(run_dir + "/plan.json", text + "\n");
    return text;
  };
  ro.on_event = [&](const EventRecord& e) { view.event(e); };
  ro.on_tick = [&](const RunSnapshot& s) {
    if (err.tty) view.tick(s);
  };
  const RunSummary s = run_plan(in, state, launcher, ro);
  view.finish();

  std::cerr << "run: " << s.done << " of " << jobs.jobs.size() << " jobs done";
  if (s.failed) std::cerr << ", " << s.failed << " failed";
  if (s.pending) std::cerr << ", " << s.pending << " not finished";
  if (s.elapsed > 0)
    std::cerr << "; makespan " << human_duration(s.elapsed) << " (plan predicted " << human_duration(s.predicted) << ")";
  std::cerr << "; " << run_dir << "\n";
  if (s.exit_code >= 128) {
    std::cerr << "run: stopped; every job kept its checkpoint: run the same command to resume\n";
    if (slurm && s.exit_code == 128 + SIGUSR1) requeue(*slurm, run_dir);
    return s.exit_code;
  }
  if (o.json) {
    std::cout << nlohmann::json{{"workload", w.name}, {"run_dir", run_dir}, {"makespan_s", s.elapsed},
                                {"predicted_s", s.predicted}, {"leaderboard", leaderboard_json(state, &jobs)}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << leaderboard_text(state, &jobs, Terminal::detect(stdout));
  }
  if (s.failed) std::cerr << "run: " << s.failed << " job(s) failed (see " << run_dir << "/logs/); run again to retry them\n";
  return s.exit_code;
}

// RUN: a run directory, a workload file (its default run directory), or
// nothing (the only run, else the latest, under ./runs).
void add_run(CLI::App& app, Action& action) {
  auto o = std::make_shared<RunCmdOptions>();
  auto* sub = app.add_subcommand("run", "Profile, plan and train the whole workload; resume a stopped run");
  sub->add_option("workload", o->workload, "Workload file (YAML, see saturn-workload(5))")->required();
  sub->add_option("--run-dir", o->run_dir, "Run directory (default runs/<workload name>)");
  sub->add_option("--store", o->store, "Profile store (SQLite; default $XDG_CACHE_HOME/saturn/profiles.db)");
  sub->add_option("--time-limit", o->time_limit, "Solver time limit (default: the workload's planner.time_limit)");
  sub->add_option("--threads", o->threads, "Solver threads (default: the workload's planner.threads)");
  sub->add_option("--max-restarts", o->max_restarts, "Relaunches of a job whose worker dies (default 2)");
  sub->add_option("--baseline", o->baseline, "Execute a baseline's plan instead (e.g. current-practice)");
  sub->add_flag("--no-profile", o->no_profile, "Measure nothing; plan from the store and estimates");
  sub->add_flag("--dry-run", o->dry_run, "Show the plan that would run; run and write nothing");
  sub->add_flag("--json", o->json, "Print the leaderboard as JSON on stdout");
  sub->add_flag("--slurm-script", o->slurm_script,
                "Print an sbatch script for the plan (nodes, GPUs, time, USR1 signal, requeue); submit nothing");
  sub->callback([o, &action] { action = [o] { return run_run_cmd(*o); }; });
}

}  // namespace saturn::cmd
