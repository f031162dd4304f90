// RunSession: what `saturn run` does, as a library: load and validate the
// workload (and a Slurm allocation it runs in), decide whether the run
// directory is a fresh run, one to resume, or one to refuse, measure what
// the plan needs (profile: auto, full or none), build the planner's
// problem, choose the launcher (local processes, or Slurm job steps inside
// an allocation), execute the plan
// with the runner, and requeue the Slurm job when it was told to stop
// before its time limit. The command parses flags into SessionOptions,
// calls one of the three entry points and prints.
//
// Holds the run directory's lock for the length of run(). SIGINT, SIGTERM
// and SIGUSR1 stop it: while profiling or planning through a StopFlag
// (exec/signals.h), then through the runner. Not thread safe.
// Errors: saturn::Error (usage, bad workload, a run directory of another
// workload, no Slurm job for `cluster: slurm`).
#pragma once

#include <csignal>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/job.h"
#include "core/slurm_env.h"
#include "app/job_reuse.h"
#include "core/workload.h"
#include "exec/launcher.h"
#include "exec/runner.h"
#include "exec/signals.h"
#include "exec/state.h"
#include "plan/baselines.h"
#include "plan/plan.h"
#include "profile/profile_forecast.h"
#include "profile/profiler.h"
#include "profile/workload_problem.h"

namespace saturn {

struct SessionOptions {
  std::string workload;        // the workload file
  std::string store;           // profile store; "" = ProfileStore::default_path()
  std::string run_dir;         // "" = runs/<workload name>
  std::string time_limit;      // solver time limit; "" = the workload's
  int64_t work_limit = 0;      // solver effort in nodes (plans that do not depend on the machine); 0 = the workload's
  int64_t threads = 0;         // CBC threads; 0 = the workload's
  int64_t max_restarts = 2;    // relaunches of a failing job
  std::string baseline;        // execute this baseline's plan instead ("" = saturn's)
  bool no_profile = false;     // plan from what is stored and estimated; measure nothing (= profile "none")
  std::string profile;         // --profile: "auto", "full" or "none"; "" = the workload's profile.mode
  bool plan_only = false;      // --dry-run, --slurm-script: no Slurm job needed, nothing written
  bool fixed_rungs = false;    // early stopping without re-planning on its decisions (--rung-plan fixed)
  // A smoke run (--steps, --jobs): these steps per job and only the jobs
  // matching these globs, in a run directory of its own (default
  // runs/<name>-smoke), measuring nothing; never a real run's directory.
  int64_t smoke_steps = 0;
  std::vector<std::string> smoke_jobs;
  std::vector<std::string> sbatch;  // --slurm-script: more #SBATCH options ("--partition=gpu")
  std::string saturn;          // this executable, for the workers it starts
  std::string version;         // written into profile entries
  bool cuda_here = false;      // resolves `auto` nodes
};

// What the session reports while it runs, and how it stops early.
struct SessionHooks {
  std::function<void(const std::string&)> say;              // one line of progress
  std::function<void(const EventRecord&)> on_event;         // the runner's events
  std::function<void(const RunSnapshot&)> on_tick;          // every `tick` seconds
  double tick = 5;
  // Called with the stop's exit code when the session stopped inside a
  // Slurm job and SIGUSR1 asked it to (default: requeue_slurm_job).
  std::function<void(const SlurmAllocation&, const std::string& run_dir)> requeue;
};

// A run directory's verdict for a new `saturn run` of a workload.
struct ResumeDecision {
  bool resume = false;         // the directory holds this workload's run: continue it
  bool profile = false;        // measure what the store lacks first
  std::string refusal;         // non-empty: the directory holds another workload's run (the message)
};
// `stored_workload` is the name state.db holds (none for a new directory),
// `planned` whether it holds a plan already (a resumed run does not profile
// again unless `edited`: its job set changed, app/job_reuse.h).
ResumeDecision decide_resume(const std::optional<std::string>& stored_workload, const std::string& workload,
                             bool planned, bool edited, bool no_profile, const std::string& run_dir);
// The fingerprint of what a run trains: its jobs and training settings.
std::string workload_fingerprint(const Workload& w, const JobSet& jobs);
// "current-practice", "optimus-greedy", ...: the baseline, or a usage error.
Baseline parse_baseline(const std::string& name);
// A plan that would run, for --dry-run and --slurm-script.
struct PlannedRun {
  WorkloadProblem problem;
  Plan plan;
  bool existing = false;       // the run directory holds a run
  JobReuse reuse;              // ... and what becomes of its jobs
  bool would_profile = false;  // the run measures what the store lacks before it plans...
  ProfileForecast profiling;   // ... these trials (on this machine's devices)
  ProfileMode mode = ProfileMode::Auto;  // how it measures
};

class RunSession {
 public:
  explicit RunSession(const SessionOptions& o);
  ~RunSession();

  const Workload& workload() const { return w_; }
  const JobSet& jobs() const { return jobs_; }
  // Lines about the data (bad jsonl lines skipped), for stderr.
  const std::vector<std::string>& data_warnings() const { return data_warnings_; }
  const std::string& run_dir() const { return run_dir_; }
  const std::optional<SlurmAllocation>& slurm() const { return slurm_; }
  bool smoke() const { return o_.smoke_steps > 0 || !o_.smoke_jobs.empty(); }
  // What the run measures before it plans: none for a smoke run,
  // --no-profile, or a baseline that needs no measurement (baselines.h);
  // full for one that does; else --profile, else the workload's.
  ProfileMode profile_mode() const { return mode_; }

  // The plan a run would execute; writes nothing. Throws what run() would
  // (Data: the run directory holds another workload's run).
  PlannedRun plan() const;
  // The sbatch script that runs this workload under Slurm (--slurm-script).
  std::string slurm_script(const PlannedRun& p) const;
  // The run: returns the runner's summary (its exit_code is the command's:
  // 0, 1 when a job failed, 128 + a signal when stopped). Stopped while
  // profiling or planning, nothing trained: trained() is false.
  RunSummary run(const SessionHooks& hooks);
  bool trained() const { return trained_; }
  // Seconds this run() spent measuring before it planned.
  double measured_s() const { return measured_s_; }
  // The state after run() (leaderboard); null before.
  const RunState* state() const { return state_.get(); }

 private:
  // The run directory's jobs under this workload; refuses another workload's
  // run (Data). `stored`: the hashes the run recorded.
  JobReuse reuse_in(const RunState& st, std::map<std::string, std::string>& stored) const;
  // Measures as the mode says, between a "measure" and a "measured" event. False: interrupted.
  bool profile(const SessionHooks& hooks, const StopFlag& stop);
  bool profile_all(const SessionHooks& hooks, const StopFlag& stop);  // profile: full
  // profile: auto: rounds of choose_measurements (measure_plan.h), each run
  // through the profiler, until nothing is worth its trials or the budget is
  // spent. False: interrupted.
  bool measure(const SessionHooks& hooks, const StopFlag& stop);
  ProfileOptions profiler_options(const SessionHooks& hooks, const StopFlag& stop) const;
  // What the run learned of option `option` of job j, as a measured store
  // entry for its shape and devices (its step or its verdict to be filled in).
  std::optional<ProfileEntry> run_entry(const std::vector<DeviceGroup>& groups, const Estimator& accounting,
                                        const WorkloadProblem& wp, size_t j, size_t option) const;
  static void put_quietly(ProfileStore& store, const ProfileEntry& e, const SessionHooks& hooks);
  // Adds to state.db's meta measure_s and measure_trials (every phase, every resume).
  void record_measurement(double seconds, int64_t trials);
  std::unique_ptr<Launcher> launcher(SignalPipe& signals) const;
  RunOptions runner_options(const WorkloadProblem& wp, const SessionHooks& hooks) const;

  SessionOptions o_;
  Workload w_;
  std::optional<SlurmAllocation> slurm_;
  JobSet jobs_;
  TextTokenCounts text_tokens_;  // the workload's tokenized data (prepare_text_data)
  std::vector<std::string> data_warnings_;
  std::string run_dir_;
  // What chat templates' strftime_now reads in this run: state.db meta
  // chat_time, recorded at the run's first start (then the current time).
  int64_t chat_time_ = 0;
  std::optional<Baseline> baseline_;
  ProfileMode mode_ = ProfileMode::Auto;
  std::unique_ptr<RunState> state_;
  bool trained_ = false;
  double measured_s_ = 0;
  int64_t measure_trials_ = 0;
};

}  // namespace saturn
