// RunState: a run's state.db (docs/ARCHITECTURE.md, "Files a run leaves"): the jobs
// and where each stands, every attempt (one launch of one job's worker
// group), every plan version, and an event log. SQLite in WAL mode, so
// `saturn status` reads it while the runner writes; the runner is its only
// writer (its lock on the run directory says so). Each call is one
// transaction, so a runner killed at any point leaves a consistent file.
// Times are wall-clock seconds since the epoch. Errors are saturn::Error
// (see Sqlite). Not thread safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/early_stopping.h"

namespace saturn {

class Sqlite;

// Stopped: early stopping ended it at a rung (a final state, like done).
enum class JobStatus { Pending, Running, Done, Failed, Stopped };
const char* job_status_name(JobStatus s);  // "pending", "running", "done", "failed", "stopped"

struct JobRecord {
  std::string id;
  JobStatus status = JobStatus::Pending;
  int64_t steps_total = 0;
  int64_t steps_done = 0;       // as of the last progress the runner read
  int64_t restarts = 0;         // launches after a failure
  double final_loss = NAN;      // training loss at the last step (done jobs)
  double eval_loss = NAN;       // validation loss at the end (done jobs; NaN without validation data;
                                // stopped jobs: at their last rung)
  double wall_s = 0;            // seconds its attempts ran, in all
  std::string strategy;         // of its last attempt, e.g. "ddp x2 on local"
  std::string message;          // why it failed
  int64_t tokens = 0;           // targets trained on (done jobs; 0: unknown)
};

// An attempt's outcome: running (no end yet), done, failed (the worker
// died), preempted (stopped by a re-plan, relaunched), stopped (the runner
// was interrupted), lost (the runner died while it ran).
struct AttemptRecord {
  int64_t id = 0;               // assigned by begin_attempt
  std::string job;
  int64_t number = 0;           // 1, 2, ... per job
  int64_t plan_version = 0;
  std::string technique;
  int64_t devices = 0;
  std::string node;
  std::string device_ids;       // "0,1"
  int64_t pid = 0;
  double started = 0, ended = NAN;
  int exit_code = -1;
  std::string outcome = "running";
  int64_t step_start = 0, step_end = -1;
};

struct PlanRecord {
  int64_t version = 0;          // assigned by add_plan: 1, 2, ...
  double created = 0;
  double makespan = 0;          // seconds from `created`
  std::string reason;           // "initial", "resume", "introspection: ..."
  std::string json;             // the plan.json document
};

struct EventRecord {
  int64_t id = 0;
  double time = 0;
  std::string kind;             // "start", "done", "failed", "restart", "preempt", "replan", "stop", ...
  std::string job;              // "" for run-wide events
  std::string message;
};

class RunState {
 public:
  static constexpr int kSchemaVersion = 3;  // 2: jobs.tokens; 3: rungs

  // Opens or creates `path`; read_only opens an existing one for reading.
  explicit RunState(const std::string& path, bool read_only = false);
  ~RunState();
  RunState(const RunState&) = delete;
  RunState& operator=(const RunState&) = delete;

  std::optional<std::string> meta(const std::string& key) const;
  void set_meta(const std::string& key, const std::string& value);

  void put_job(const JobRecord& j);                 // insert or replace by id
  std::vector<JobRecord> jobs() const;              // in insertion order
  void remove_job(const std::string& id);           // its record only: attempts and events stay

  int64_t begin_attempt(const AttemptRecord& a);    // returns its id
  void end_attempt(int64_t id, double ended, int exit_code, const std::string& outcome, int64_t step_end);
  std::vector<AttemptRecord> attempts(const std::string& job = "") const;  // by id

  int64_t add_plan(const PlanRecord& p);            // returns its version
  std::optional<PlanRecord> latest_plan() const;
  std::vector<PlanRecord> plans(bool with_json = false) const;  // by version

  void event(double time, const std::string& kind, const std::string& job, const std::string& message);
  std::vector<EventRecord> events(int64_t after_id = 0) const;

  // Early stopping's decisions, in the order they were made (none before schema 3).
  void add_rung(const RungDecision& d, double time);
  std::vector<RungDecision> rungs() const;

  const std::string& path() const;

 private:
  std::unique_ptr<Sqlite> db_;
  bool has_tokens_ = false;  // jobs.tokens exists (schema 2; a read-only schema-1 file lacks it)
  bool has_rungs_ = false;   // the rungs table exists (schema 3)
};

}  // namespace saturn
