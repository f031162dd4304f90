#include "trained_job.h"

#include <filesystem>
#include <map>

#include "app/run_session.h"
#include "core/error.h"
#include "core/job.h"
#include "core/run_files.h"
#include "core/workload.h"
#include "exec/state.h"
#include "run_view.h"

namespace saturn::cmd {

RunJob find_run_job(const std::string& run, const std::string& job, const std::string& command) {
  namespace fs = std::filesystem;
  if (!fs::exists(run_files::state_path(run))) throw no_input_error(run + ": not a run directory (no state.db)");
  RunState state(run_files::state_path(run), true);
  const std::string path = state.meta("workload_path").value_or("");
  if (path.empty()) throw data_error(run_files::state_path(run) + ": names no workload file");
  const Workload w = load_workload(path);
  const JobSet jobs = expand_jobs(w);
  std::map<std::string, std::string> hashes;
  try {
    hashes = stored_job_hashes(state, workload_fingerprint(w, jobs), jobs, run);
  } catch (const Error&) {
    throw data_error(path + ": changed since " + run + " ran (its jobs or training settings differ); " + command +
                     " needs the workload the run trained");
  }
  RunJob r;
  r.id = job.empty() ? best_job(state) : job;
  if (r.id.empty()) throw data_error(run + ": no job is done yet (name one to " + command + " its newest checkpoint)");
  const Job* found = nullptr;
  for (const auto& j : jobs.jobs)
    if (j.id == r.id) found = &j;
  if (!found) throw usage_error(r.id + ": no such job in " + run + " (see saturn status " + run + ")");
  if (auto h = hashes.find(r.id); h == hashes.end() || h->second != found->hash)
    throw data_error(path + ": " + r.id + " changed since " + run + " trained it (its model, data or training "
                     "settings differ); " + command + " needs the workload the run trained");
  const ModelSpec& m = w.models[found->model];
  r.job.arch = m.arch;
  r.job.config = found->config;
  r.job.from_dir = m.from.empty() ? "" : w.resolve(m.from);
  const DataSpec d = w.data_for(m);
  r.job.tokenizer = d.tokenizer.empty() ? "" : w.resolve(d.tokenizer);
  r.job.job_dir = run_files::job_dir(run, r.id);
  r.job.finetune = found->finetune;
  r.job.seed = found->hp.seed;
  return r;
}

}  // namespace saturn::cmd
