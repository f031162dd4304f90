// The run report of a run directory (`saturn report`, and RUN/report.html
// at the end of `saturn run`): gathers report/report_data.h from state.db
// (read as it stands: the runner may still be writing), every plan
// version's plan.json, and each job's metrics.jsonl, and writes the page.
// Torch-free.
#pragma once

#include <string>

#include "core/job.h"
#include "core/workload.h"
#include "exec/state.h"
#include "report/report_data.h"

namespace saturn {

struct ReportSource {
  std::string run_dir;
  std::string saturn_version;
  // The run's workload and jobs, when known (`saturn run`, or the workload
  // file state.db names): the hyperparameters come from the jobs' grid
  // points and the cluster from the workload. Without them, both come from
  // the job ids and the plan.
  const Workload* workload = nullptr;
  const JobSet* jobs = nullptr;
  double now = 0;  // end of a running attempt's bar (seconds since the epoch; 0: the last time on record)
};

ReportData gather_report(const RunState& st, const ReportSource& src);

// RUN/report.html, written whole (a reader never sees half a page); returns its path.
std::string write_report_html(const ReportData& r, const std::string& run_dir);

}  // namespace saturn
