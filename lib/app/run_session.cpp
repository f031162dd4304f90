#include "app/run_session.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "app/data_warnings.h"
#include "app/weights_check.h"
#include "app/text_data.h"
#include "core/error.h"
#include "core/file.h"
#include "core/hash.h"
#include "core/run_files.h"
#include "core/text.h"
#include "core/units.h"
#include "exec/local_launcher.h"
#include "exec/replan.h"
#include "exec/run_lock.h"
#include "exec/slurm_launcher.h"
#include "exec/slurm_requeue.h"
#include "exec/slurm_script.h"
#include "plan/plan_json.h"
#include "profile/measure_plan.h"
#include "profile/profiler.h"
#include "profile/runtime.h"
#include "profile/store.h"
#include "profile/trials.h"

namespace saturn {

ResumeDecision decide_resume(const std::optional<std::string>& stored_workload, const std::string& workload,
                             bool planned, bool edited, bool no_profile, const std::string& run_dir) {
  ResumeDecision d;
  if (stored_workload && *stored_workload != workload) {
    d.refusal = run_dir + ": holds a run of workload " + *stored_workload + ", not " + workload +
                "; use --run-dir for a new run, or remove " + run_dir;
    return d;
  }
  d.resume = stored_workload.has_value();
  d.profile = !no_profile && (!planned || edited);
  return d;
}

std::string workload_fingerprint(const Workload& w, const JobSet& jobs) {
  std::string text = canonical(w.train);
  for (const auto& j : jobs.jobs) text += "\n" + j.id + "=" + j.hash;
  return content_hash(text);
}

Baseline parse_baseline(const std::string& name) {
  std::vector<std::string> names;
  for (Baseline b : all_baselines()) {
    std::string n = baseline_name(b);
    std::replace(n.begin(), n.end(), ' ', '-');
    if (n == name) return b;
    names.push_back(n);
  }
  throw usage_error("--baseline: " + saturn::quoted(name) + " is not a baseline (" + join(names, ", ") + ")");
}

namespace {

// Seconds since the epoch, to the microsecond (state.db's clock).
double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void requeue(const SessionHooks& hooks, const SlurmAllocation& a, const std::string& run_dir) {
  if (hooks.requeue) hooks.requeue(a, run_dir);
  else requeue_slurm_job(a, run_dir, hooks.say);
}

// The time a run's chat templates read: the one its state.db recorded, else now.
int64_t pinned_chat_time(const std::string& run_dir) {
  const std::string st = run_files::state_path(run_dir);
  if (std::filesystem::exists(st))
    if (auto t = RunState(st, true).meta("chat_time")) {
      char* end = nullptr;
      const long long v = std::strtoll(t->c_str(), &end, 10);
      if (end && *end == '\0' && v > 0) return v;
    }
  return static_cast<int64_t>(::time(nullptr));
}

}  // namespace

RunSession::RunSession(const SessionOptions& o) : o_(o) {
  LoadOptions load;
  load.resolve_slurm = false;  // resolved here, once, keeping the allocation
  w_ = load_workload(o.workload, load);
  // `cluster: slurm` inside a job: the allocation becomes the cluster.
  slurm_ = resolve_slurm_cluster(w_, o.workload, slurm_environment());
  if (o.smoke_steps < 0) throw usage_error("--steps: expected 1 or more");
  if (o.smoke_steps > 0) {
    w_.train.steps = o.smoke_steps;
    w_.train.epochs = 0;
  }
  jobs_ = expand_jobs(w_);
  if (!o.smoke_jobs.empty()) jobs_ = select_jobs(jobs_, o.smoke_jobs);
  if (smoke()) o_.no_profile = true;  // a smoke run checks that jobs train, not how fast
  // Tokenized once (into the token cache unless nothing is to be written),
  // vocabularies checked, before anything is written.
  // Input no worker could train on fails here, not in a trial: the
  // weights first (headers only), then the data.
  run_dir_ = !o.run_dir.empty() ? o.run_dir : w_.default_run_dir() + (smoke() ? "-smoke" : "");
  chat_time_ = pinned_chat_time(run_dir_);
  w_.pin_chat_time(chat_time_);  // every rendering of this run's chats, workers' and trials' too
  std::vector<std::string> weight_warnings = check_pretrained_weights(w_, !o.plan_only);
  PreparedData prepared = prepare_text_data(w_, jobs_, !o.plan_only);
  text_tokens_ = std::move(prepared.counts);
  check_data_yields(w_, jobs_, text_tokens_);
  data_warnings_ = std::move(prepared.warnings);
  for (auto& line : weight_warnings) data_warnings_.push_back(std::move(line));
  if (!std::filesystem::exists(run_files::state_path(run_dir_)))  // said once per run: at its first start
    for (auto& line : saturn::data_warnings(w_, jobs_, text_tokens_)) data_warnings_.push_back(std::move(line));
  // A smoke run never writes into a real run's directory, nor a real run into a smoke run's.
  if (const std::string st = run_files::state_path(run_dir_); std::filesystem::exists(st)) {
    const bool was_smoke = RunState(st, true).meta("smoke").has_value();
    if (smoke() && !was_smoke)
      throw usage_error(std::string(o.smoke_steps > 0 ? "--steps" : "--jobs") + ": " + run_dir_ +
                        " holds a real run; a smoke run writes a run directory of its own (leave out --run-dir: " +
                        w_.default_run_dir() + "-smoke)");
    if (!smoke() && was_smoke)
      throw usage_error(run_dir_ + ": holds a smoke run (--steps, --jobs); give the real run another --run-dir");
  }
  if (w_.cluster.slurm && !slurm_ && !o.plan_only)
    throw Error(ErrorKind::Unavailable,
                "cluster: slurm: not inside a Slurm job (SLURM_JOB_ID is unset): submit it with sbatch "
                "(saturn run --slurm-script prints a script), or list the nodes under cluster.nodes");
  if (!o.baseline.empty()) baseline_ = parse_baseline(o.baseline);
  mode_ = w_.profile.mode;
  if (!o.profile.empty()) {
    const std::vector<std::string> modes{"auto", "full", "none"};
    auto it = std::find(modes.begin(), modes.end(), o.profile);
    if (it == modes.end())
      throw usage_error("--profile: expected auto, full or none, got " + saturn::quoted(o.profile));
    mode_ = static_cast<ProfileMode>(it - modes.begin());
  }
  if (baseline_) mode_ = baseline_measures(*baseline_) ? ProfileMode::Full : ProfileMode::None;
  if (o_.no_profile) mode_ = ProfileMode::None;  // (a smoke run too)
  if (o.max_restarts < 0) throw usage_error("--max-restarts: expected 0 or more");
  plan_options(w_, o.time_limit, o.threads, o.work_limit);  // validates the flags before any work
}

RunSession::~RunSession() = default;

JobReuse RunSession::reuse_in(const RunState& st, std::map<std::string, std::string>& stored) const {
  // Another workload's run is refused first, then this one's edits are read.
  const ResumeDecision d = decide_resume(st.meta("workload"), w_.name, false, false, true, run_dir_);
  if (!d.refusal.empty()) throw data_error(d.refusal);
  stored = stored_job_hashes(st, workload_fingerprint(w_, jobs_), jobs_, run_dir_);
  const std::string dir = run_dir_;
  return reconcile_jobs(stored, st.jobs(), jobs_, [&](const std::string& id) {
    return run_files::read_result(run_files::job_dir(dir, id)).has_value();
  });
}

PlannedRun RunSession::plan() const {
  PlannedRun p;
  const std::string state_path = run_files::state_path(run_dir_);
  p.existing = std::filesystem::exists(state_path);
  std::vector<JobNow> now(jobs_.jobs.size());
  bool planned = false;
  if (p.existing) {
    RunState st(state_path, true);
    planned = st.latest_plan().has_value();
    // The real run's checks: another workload's run is refused, an edited one reconciled.
    std::map<std::string, std::string> stored;
    p.reuse = reuse_in(st, stored);
    const auto records = st.jobs();
    std::map<std::string, const JobRecord*> by_id;
    for (const auto& r : records) by_id[r.id] = &r;
    const std::set<std::string> done(p.reuse.reused.begin(), p.reuse.reused.end());
    const std::set<std::string> going(p.reuse.resumed.begin(), p.reuse.resumed.end());
    for (size_t j = 0; j < jobs_.jobs.size(); ++j) {
      now[j].finished = done.count(jobs_.jobs[j].id) > 0;
      auto r = by_id.find(jobs_.jobs[j].id);
      if (r == by_id.end() || !going.count(r->first)) continue;
      now[j].left = std::max(0.0, 1.0 - double(r->second->steps_done) / double(std::max<int64_t>(1, job_steps(w_, jobs_.jobs[j], text_tokens_))));
    }
  }
  // A dry run or a script writes nothing: the store is read, never created.
  const auto store = ProfileStore::read_only(o_.store.empty() ? ProfileStore::default_path() : o_.store);
  p.problem = workload_problem(w_, jobs_, device_groups(w_, o_.cuda_here), *store, text_tokens_);
  keep_executable(p.problem);
  // The real run measures first (as decide_resume says): what its mode chooses.
  p.mode = mode_;
  p.would_profile = mode_ != ProfileMode::None && (!planned || p.reuse.edited());
  if (p.would_profile) p.profiling = forecast_measurement(w_, jobs_, p.problem, *store, o_.cuda_here, mode_);
  const PlanOptions po = plan_options(w_, o_.time_limit, o_.threads, o_.work_limit);
  p.plan = baseline_ ? baseline_plan(p.problem.problem, *baseline_)
           : p.existing ? plan_remaining(p.problem.problem, now, po)  // what is left of the run
                        : solve_plan(p.problem.problem, po);
  return p;
}

std::string RunSession::slurm_script(const PlannedRun& p) const {
  if (!w_.cluster.slurm && w_.cluster.instances().size() > 1)
    throw usage_error("--slurm-script: the workload lists " + std::to_string(w_.cluster.instances().size()) +
                      " nodes; say `cluster: slurm` so the job plans on the nodes Slurm gives it");
  const Node& n = w_.cluster.slurm ? *w_.cluster.slurm : w_.cluster.nodes.front();
  std::set<size_t> used;
  for (const auto& a : p.plan.items) used.insert(p.problem.problem.options[a.option].node);
  SlurmScriptInput in;
  // Absolute paths: the job runs wherever sbatch starts it. Every option given is kept.
  auto absolute = [](const std::string& p) { return std::filesystem::absolute(p).lexically_normal().string(); };
  in.saturn = o_.saturn.empty() ? "saturn" : o_.saturn;
  in.workload = absolute(o_.workload);
  in.name = w_.name;
  in.run_dir = o_.run_dir.empty() ? "" : absolute(run_dir_);
  if (!o_.store.empty()) in.run_args.insert(in.run_args.end(), {"--store", absolute(o_.store)});
  if (!o_.time_limit.empty()) in.run_args.insert(in.run_args.end(), {"--time-limit", o_.time_limit});
  if (o_.work_limit > 0) in.run_args.insert(in.run_args.end(), {"--work-limit", std::to_string(o_.work_limit)});
  if (o_.threads > 0) in.run_args.insert(in.run_args.end(), {"--threads", std::to_string(o_.threads)});
  if (o_.max_restarts != SessionOptions{}.max_restarts)
    in.run_args.insert(in.run_args.end(), {"--max-restarts", std::to_string(o_.max_restarts)});
  if (!o_.baseline.empty()) in.run_args.insert(in.run_args.end(), {"--baseline", o_.baseline});
  if (o_.no_profile && !smoke()) in.run_args.push_back("--no-profile");
  else if (!o_.profile.empty()) in.run_args.insert(in.run_args.end(), {"--profile", o_.profile});
  if (o_.smoke_steps > 0) in.run_args.insert(in.run_args.end(), {"--steps", std::to_string(o_.smoke_steps)});
  for (const auto& p : o_.smoke_jobs) in.run_args.insert(in.run_args.end(), {"--jobs", p});
  in.sbatch = o_.sbatch;
  in.cluster_slurm = w_.cluster.slurm.has_value();
  in.nodes = std::max<int64_t>(1, static_cast<int64_t>(used.size()));
  in.gpus_per_node = n.kind == DeviceKind::Cpu ? 0 : n.count;
  in.tasks_per_node = n.count;
  in.cpus_per_task = n.kind == DeviceKind::Cpu ? n.threads : 4;
  in.makespan_s = p.plan.makespan;
  if (p.would_profile) {
    // The job profiles on the nodes it is given, where the devices are.
    const auto store = ProfileStore::read_only(o_.store.empty() ? ProfileStore::default_path() : o_.store);
    WorkloadProblem there = workload_problem(w_, jobs_, device_groups(w_, true), *store, text_tokens_);
    keep_executable(there);
    const ProfileForecast f = forecast_measurement(w_, jobs_, there, *store, /*cuda_here=*/true, mode_);
    in.profile_trials = f.trials;
    in.profile_s = f.where_s;
  }
  in.jobs = static_cast<int64_t>(jobs_.jobs.size());
  in.done = p.existing ? static_cast<int64_t>(p.reuse.reused.size()) : 0;
  in.devices = std::to_string(in.nodes) + " x " + std::to_string(n.count) + " " +
               (n.kind == DeviceKind::Cpu ? "cpu" : n.model.empty() ? "GPU" : n.model);
  return saturn::slurm_script(in);
}

ProfileOptions RunSession::profiler_options(const SessionHooks& hooks, const StopFlag& stop) const {
  ProfileOptions pr;
  pr.workload_path = o_.workload;
  pr.saturn = o_.saturn;
  pr.scratch = run_dir_ + "/trials";  // removed when no trial failed; else its logs stay with the run
  pr.cuda_here = o_.cuda_here;
  pr.version = o_.version;
  pr.stop = stop.flag();
  pr.on_event = [this, say = hooks.say](const ProfileEvent& e) {
    if (state_) {  // for `saturn status` while the run measures
      try {
        state_->set_meta("measuring", nlohmann::json{{"done", e.done}, {"total", e.total}, {"eta_s", e.eta_s}}.dump());
      } catch (const Error&) {  // what status shows is not worth stopping the measurement for
      }
    }
    if (e.kind == ProfileEvent::Done && e.entry)
      say("profile [" + std::to_string(e.done) + "/" + std::to_string(e.total) + "] " +
          jobs_.shapes[e.trial->shape].id + " " + technique_name(e.trial->key.technique) + " x" +
          std::to_string(e.trial->key.devices) + (e.trial->key.knobs.empty() ? "" : " (" + e.trial->key.knobs + ")") + ": " +
          (e.entry->feasible ? human_duration(e.entry->step_time) + "/step" : "infeasible: " + e.entry->reason));
    else if (e.kind == ProfileEvent::Fail)
      say("profile: " + jobs_.shapes[e.trial->shape].id + ": failed: " + e.message);
  };
  return pr;
}

std::optional<ProfileEntry> RunSession::run_entry(const std::vector<DeviceGroup>& groups, const Estimator& accounting,
                                                  const WorkloadProblem& wp, size_t j, size_t option) const {
  const PlanOption& opt = wp.problem.options[option];
  const JobShape& shape = jobs_.shapes[jobs_.jobs[j].shape];
  for (const auto& g : groups) {
    if (std::find(g.nodes.begin(), g.nodes.end(), wp.problem.nodes[opt.node].name) == g.nodes.end()) continue;
    ProfileEntry e;
    e.key = {shape.hash, parse_technique(opt.technique).value_or(Technique::Single), opt.knobs, g.model, opt.devices, g.threads};
    e.shape_id = shape.id;
    e.measured_at = wall_seconds();
    e.version = o_.version;
    if (const auto mem = accounting.memory(shape, e.key)) e.accounted_memory = static_cast<int64_t>(mem->total());
    std::tie(e.est_ideal, e.est_floor) = accounting.raw_figures(shape, e.key);
    return e;
  }
  return std::nullopt;
}

void RunSession::put_quietly(ProfileStore& store, const ProfileEntry& e, const SessionHooks& hooks) {
  try {
    store.put(e);
  } catch (const Error& err) {  // the store is a cache: the run goes on without it
    hooks.say(std::string("warning: what the run measured was not stored: ") + err.what());
  }
}

bool RunSession::profile(const SessionHooks& hooks, const StopFlag& stop) {
  // The phase in state.db's events (the report draws it on the devices' time axis).
  state_->event(wall_seconds(), "measure", "",
                std::string("measuring before the plan (profile: ") + profile_mode_name(mode_) + ")");
  const bool whole = mode_ == ProfileMode::Auto ? measure(hooks, stop) : profile_all(hooks, stop);
  if (!state_->meta("measure_s")) {  // a phase that measured nothing says so too
    state_->set_meta("measure_s", "0");
    state_->set_meta("measure_trials", "0");
  }
  if (whole) state_->set_meta("measuring", "");  // over (a stop leaves where it was, for status)
  state_->event(wall_seconds(), "measured", "",
                std::to_string(measure_trials_) + (measure_trials_ == 1 ? " trial" : " trials") + " in " +
                    human_duration(measured_s_) + (whole ? "" : " (interrupted)"));
  return whole;
}

bool RunSession::profile_all(const SessionHooks& hooks, const StopFlag& stop) {
  ProfileStore store(o_.store.empty() ? ProfileStore::default_path() : o_.store);
  const ProfileSummary s = run_profile(w_, jobs_, store, profiler_options(hooks, stop));
  if (!s.bad_input.empty()) throw data_error(s.bad_input);
  if (s.measured > 0 || s.failed > 0)
    hooks.say("profile: " + std::to_string(s.measured) + " measured, " + std::to_string(s.stored) +
              " already stored in " + human_duration(s.wall_s));
  record_measurement(s.wall_s, s.measured);
  if (s.interrupted) hooks.say("interrupted while profiling; what was measured is kept");
  return !s.interrupted;
}

void RunSession::record_measurement(double seconds, int64_t trials) {
  measured_s_ += seconds;
  measure_trials_ += trials;
  if (!state_ || (seconds <= 0 && trials <= 0)) return;
  auto add = [&](const char* key, double v) {
    const auto old = state_->meta(key);
    state_->set_meta(key, format_number((old ? std::atof(old->c_str()) : 0.0) + v));
  };
  add("measure_s", seconds);
  add("measure_trials", static_cast<double>(trials));
}

bool RunSession::measure(const SessionHooks& hooks, const StopFlag& stop) {
  ProfileStore store(o_.store.empty() ? ProfileStore::default_path() : o_.store);
  const auto groups = device_groups(w_, o_.cuda_here);
  MeasureOptions mo = measure_options(w_, jobs_.jobs.empty() ? 0 : job_steps(w_, jobs_.jobs.front(), text_tokens_));
  double spent = 0, total_budget = -1;
  int64_t trials = 0;
  size_t skipped = 0;
  // Each round measures the most decisive strategies that run side by side,
  // then chooses again from estimates their results calibrated.
  for (int round = 0; round < 64; ++round) {
    WorkloadProblem wp = workload_problem(w_, jobs_, groups, store, text_tokens_);
    keep_executable(wp);
    if (total_budget >= 0) mo.budget_s = std::max(0.0, total_budget - spent);
    MeasureChoice c = choose_measurements(wp, measure_candidates(w_, jobs_, wp, store, o_.cuda_here), mo);
    if (total_budget < 0) total_budget = c.budget_s;
    skipped = c.skipped();
    if (c.order.empty()) break;
    std::vector<ProfileKey> now;
    int64_t width = 0;
    for (size_t ci : c.order) {
      const MeasureCandidate& m = c.candidates[ci];
      int64_t widest = 0;
      for (const auto& k : m.trials) widest = std::max(widest, k.devices);
      if (!now.empty() && width + widest > wp.problem.total_devices()) break;
      width += widest;
      now.insert(now.end(), m.trials.begin(), m.trials.end());
      if (round == 0 && now.size() == m.trials.size())
        hooks.say("measure: " + std::to_string(c.order.size()) + " of " + std::to_string(c.candidates.size()) +
                  " estimated strategies can change the plan (budget " + human_duration(c.budget_s) +
                  "); first " + jobs_.shapes[wp.view[m.row].shape].id +
                  " " + technique_name(wp.view[m.row].entry.key.technique) + " x" +
                  std::to_string(wp.view[m.row].entry.key.devices) + ": " + m.why);
    }
    ProfileOptions pr = profiler_options(hooks, stop);
    pr.only = &now;
    const ProfileSummary s = run_profile(w_, jobs_, store, pr);
    if (!s.bad_input.empty()) throw data_error(s.bad_input);
    spent += s.wall_s;
    trials += s.measured;
    record_measurement(s.wall_s, s.measured);
    if (s.interrupted) {
      hooks.say("interrupted while measuring; what was measured is kept");
      return false;
    }
    if (s.measured == 0) break;  // nothing came of it (failed, or devices not here): do not try again
  }
  hooks.say("measure: " +
            (trials > 0 ? std::to_string(trials) + (trials == 1 ? " trial" : " trials") + " in " + human_duration(spent) + " of a "
                        : std::string("no trial is worth its time in a ")) +
            human_duration(std::max(0.0, total_budget)) + " budget; " + std::to_string(skipped) +
            " estimated strategies left to estimates and to the run's own steps (saturn profile --show says why)");
  return true;
}

std::unique_ptr<Launcher> RunSession::launcher(SignalPipe& signals) const {
  LocalLauncherOptions lo;
  lo.saturn = o_.saturn;
  lo.workload = o_.workload;
  lo.run_dir = run_dir_;
  lo.steps = o_.smoke_steps;
  lo.chat_time = chat_time_;
  for (size_t i = 0; i < w_.cluster.nodes.size(); ++i) {
    const Node& n = w_.cluster.nodes[i];
    const bool cuda = n.kind == DeviceKind::Cuda || (n.kind == DeviceKind::Auto && o_.cuda_here);
    LocalNode ln{n.name, cuda, n.threads > 0 ? n.threads : 1};
    if (slurm_) {  // nodes are the allocation's hosts, in its order
      ln.gpus = n.kind != DeviceKind::Cpu ? slurm_->gpus_per_node : 0;
      ln.cpus_per_rank = std::max<int64_t>(1, slurm_->cpus[i] / std::max<int64_t>(1, n.count));
    }
    lo.nodes.push_back(ln);
  }
  if (slurm_) return std::make_unique<SlurmLauncher>(lo, signals);
  return std::make_unique<LocalLauncher>(lo, signals);
}

RunOptions RunSession::runner_options(const WorkloadProblem& wp, const SessionHooks& hooks) const {
  const PlanOptions po = plan_options(w_, o_.time_limit, o_.threads, o_.work_limit);
  RunOptions ro;
  ro.max_restarts = o_.max_restarts;
  ro.plan = po;
  ro.interval = baseline_ ? 0 : w_.planner.introspection_interval;
  ro.threshold = w_.planner.introspection_threshold;
  ro.replan_time_limit = std::clamp(ro.interval / 10, 0.2, po.time_limit);
  ro.early_stopping = w_.early_stopping;
  ro.stall_factor = w_.train.stall_factor;
  ro.stall_floor = w_.train.stall_floor;
  ro.rung_replan = !o_.fixed_rungs && !baseline_;
  // A re-plan per rung decision: many, each quick.
  if (ro.early_stopping.on()) ro.replan_time_limit = std::clamp(po.time_limit / 10, 0.2, 2.0);
  if (baseline_) {
    ro.initial = baseline_plan(wp.problem, *baseline_);
    ro.initial_reason = std::string("baseline: ") + baseline_name(*baseline_);
  }
  ro.tick = hooks.tick;
  const std::string plan_path = run_files::plan_path(run_dir_);
  const std::string name = w_.name;
  const PlanProblem problem = wp.problem;
  ro.plan_doc = [plan_path, name, problem](const Plan& plan) {
    nlohmann::json doc = plan_json(problem, plan);
    doc["workload"] = name;
    const std::string text = doc.dump(2);
    write_file_atomic(plan_path, text + "\n");
    return text;
  };
  ro.on_event = hooks.on_event;
  ro.on_tick = hooks.on_tick;
  return ro;
}

RunSummary RunSession::run(const SessionHooks& hooks) {
  RunLock lock(run_dir_);
  auto stop = std::make_unique<StopFlag>();
  state_ = std::make_unique<RunState>(run_files::state_path(run_dir_));
  const std::string fingerprint = workload_fingerprint(w_, jobs_);
  std::map<std::string, std::string> stored;
  const JobReuse reuse = reuse_in(*state_, stored);
  const ResumeDecision d = decide_resume(state_->meta("workload"), w_.name, state_->latest_plan().has_value(),
                                         reuse.edited(), mode_ == ProfileMode::None, run_dir_);
  if (d.resume && reuse.edited()) hooks.say(run_dir_ + ": the workload was edited: " + reuse.text(run_dir_));
  apply_reuse(*state_, run_dir_, reuse, stored, jobs_, static_cast<double>(::time(nullptr)));
  state_->set_meta("fingerprint", fingerprint);
  state_->set_meta("workload", w_.name);
  if (smoke()) state_->set_meta("smoke", std::to_string(o_.smoke_steps));
  state_->set_meta("workload_path", std::filesystem::absolute(o_.workload).string());
  if (!state_->meta("chat_time")) state_->set_meta("chat_time", std::to_string(chat_time_));
  state_->set_meta("select", selection_text(w_.select));  // what ranks the leaderboard, for status, report, export
  if (slurm_)
    hooks.say("Slurm job " + slurm_->job_id + ": " + std::to_string(slurm_->hosts.size()) + " node(s) " +
              join(slurm_->hosts, ",") + ", " + std::to_string(slurm_->gpus_per_node) + " GPU(s) each" +
              (slurm_->restart_count > 0
                   ? "; requeued (restart " + std::to_string(slurm_->restart_count) + "): resuming " + run_dir_
                   : ""));
  auto stopped_early = [&] {
    RunSummary s;
    s.exit_code = 128 + stop->signal();
    if (wants_requeue(slurm_, s.exit_code)) requeue(hooks, *slurm_, run_dir_);
    return s;
  };
  if (d.profile && !profile(hooks, *stop)) return stopped_early();

  ProfileStore store(o_.store.empty() ? ProfileStore::default_path() : o_.store);
  WorkloadProblem wp = workload_problem(w_, jobs_, device_groups(w_, o_.cuda_here), store, text_tokens_);
  keep_executable(wp);
  RunInput in;
  in.problem = wp.problem;
  for (const auto& j : jobs_.jobs) {
    RunJob rj{jobs_.shapes[j.shape].id, job_steps(w_, j, text_tokens_), {}, rung_bracket(w_.early_stopping, in.jobs.size())};
    rj.rungs = rung_steps(w_.early_stopping, rj.steps, rj.bracket);
    in.jobs.push_back(std::move(rj));
  }
  in.step_s = wp.step_times;
  RunOptions ro = runner_options(wp, hooks);
  ro.keep_stored_plan = !reuse.edited();
  // What the run learns goes into the store: a strategy that did not fit
  // (every mode), and under auto each job's first step rate where nothing
  // measured that strategy (a rate off the plan's also re-plans at once).
  const auto groups = device_groups(w_, o_.cuda_here);
  const Estimator accounting(estimate_options(w_), {}, jobs_);
  ro.on_infeasible = [&](size_t j, size_t option, const std::string& reason) {
    auto e = run_entry(groups, accounting, wp, j, option);
    if (!e) return;
    e->feasible = false;
    e->reason = reason;
    put_quietly(store, *e, hooks);
  };
  if (mode_ == ProfileMode::Auto && !baseline_ && !o_.fixed_rungs) {  // (a fixed plan stays fixed)
    ro.learn_margin = std::max(w_.profile.margin, 1e-3);
    ro.on_rate = [&](size_t j, size_t option, double step_time) {
      auto e = run_entry(groups, accounting, wp, j, option);
      if (!e) return;
      if (const auto had = store.get(e->key); had && had->source == ProfileSource::Measured) return;
      e->step_time = step_time;
      put_quietly(store, *e, hooks);
    };
  }
  if (stop->signal()) {  // stopped while planning: nothing started yet
    hooks.say("stopped by signal " + std::to_string(stop->signal()) + " before training started");
    return stopped_early();
  }
  stop.reset();
  SignalPipe signals({SIGUSR1});
  std::unique_ptr<Launcher> l = launcher(signals);
  trained_ = true;
  RunSummary s = run_plan(in, *state_, *l, ro);
  if (wants_requeue(slurm_, s.exit_code)) requeue(hooks, *slurm_, run_dir_);
  return s;
}

}  // namespace saturn
