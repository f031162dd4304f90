// What the run report shows (`saturn report`, RUN/report.html): the
// leaderboard, each job's loss curves, every plan version's bars and every
// attempt that ran, device utilisation, the makespan against the plan, and
// the event log. Gathered from a run directory by lib/app/run_report.h,
// drawn by report/report_page.h. Plain values; every time is seconds on the
// run's clock (0 = the run's first measurement, attempt, or plan).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/chart.h"

namespace saturn {

struct ReportJob {
  std::string id, model;
  std::vector<std::pair<std::string, std::string>> params;  // the hyperparameters that vary, as in the id
  std::string status;          // "done", "stopped", "failed", "running", "pending"
  std::string status_text;     // "stopped early at step 128", "failed: exit 1"
  int64_t rank = 0;            // 1, 2, ... for done jobs in leaderboard order; 0 for the others
  int64_t steps = 0, steps_done = 0;
  std::string strategy;        // of its last attempt: "ddp x2 on local"
  int64_t devices = 0;
  double wall_s = 0;
  int64_t restarts = 0;
  double valid_loss = NAN, train_loss = NAN;
  // Loss curves: training loss (every metrics line) and validation loss,
  // against the step and against the run's clock.
  std::vector<Point> train_by_step, train_by_time, valid_by_step, valid_by_time;
};

// One bar on a device lane: a planned job, or one attempt of one job.
struct ReportBar {
  std::string lane;            // "local:0"
  double start = 0, end = 0;
  std::string job;             // a fused group's bars carry each member's id
  std::string kind;            // planned; attempts: done, paused (at a rung, goes on), early-stop, running,
                               // preempted, stopped, stalled, failed, diverged, lost
  int64_t attempt = 0;         // attempt number (1, 2, ...), 0 for planned bars
  int64_t version = 0;         // plan version it belongs to (attempts: the plan that launched it)
  size_t slot = 0, slots = 1;  // a fused group on one lane: member `slot` of `slots`
  std::string detail;          // tooltip: strategy, steps, outcome
};

struct ReportPlan {
  int64_t version = 0;
  double created = 0;          // on the run's clock
  double makespan = 0;         // seconds from `created`
  double bound = 0;            // its proven lower bound (0: none)
  std::string method, reason;
  std::vector<ReportBar> bars; // its jobs, at created + their start
};

struct ReportEvent {
  double time = 0;
  std::string kind, job, message;
};

struct ReportData {
  std::string workload, workload_path, run_dir, saturn_version, cluster;  // cluster: "local: 2 cpu"
  double origin = 0;                 // the run clock's 0, seconds since the epoch
  std::vector<std::string> lanes;    // every device, "node:index"
  std::vector<ReportJob> jobs;       // leaderboard order
  std::vector<ReportPlan> plans;     // by version
  std::vector<ReportBar> attempts;   // by start
  std::vector<ReportBar> measuring;  // the measurement before a plan (kind "measure"), on every lane
  std::vector<ReportEvent> events;
  std::vector<Point> busy;           // devices busy over time: a step at each change
  double makespan = 0;               // first launch to last exit (0: nothing ran)
  double predicted = 0, bound = 0;   // the first plan's makespan and lower bound
  // Under early stopping (whose first plan takes every job to its first
  // rung only): the makespan expected under the rule, the first plan
  // scaled from its rung to the work the rule is expected to train; else 0.
  double expected = 0;
  std::vector<std::pair<std::string, std::string>> commands;  // what -> command line (resume, export, ...)
};

// Everything above as JSON (`saturn report --json`); NaN losses as null.
nlohmann::json to_json(const ReportData& r);

}  // namespace saturn
