// saturn export RUN [JOB] --out DIR: a finished job (default: the
// leaderboard's best) as a Hugging Face model folder (train/hf_export.h).
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "app/run_session.h"
#include "commands.h"
#include "core/error.h"
#include "core/job.h"
#include "core/run_files.h"
#include "core/workload.h"
#include "exec/state.h"
#include "run_view.h"
#include "train/hf_export.h"

namespace saturn::cmd {
namespace {

struct ExportOptions {
  std::string run;   // the run directory
  std::string job;   // "" = the leaderboard's best
  std::string out;   // the folder to write
  bool merge = false;  // LoRA: the merged model instead of the adapters
};

int run_export(const ExportOptions& o) {
  namespace fs = std::filesystem;
  if (!fs::exists(run_files::state_path(o.run))) throw no_input_error(o.run + ": not a run directory (no state.db)");
  RunState state(run_files::state_path(o.run), true);
  const std::string path = state.meta("workload_path").value_or("");
  if (path.empty()) throw data_error(run_files::state_path(o.run) + ": names no workload file");
  const Workload w = load_workload(path);
  const JobSet jobs = expand_jobs(w);
  std::map<std::string, std::string> hashes;
  try {
    hashes = stored_job_hashes(state, workload_fingerprint(w, jobs), jobs, o.run);
  } catch (const Error&) {
    throw data_error(path + ": changed since " + o.run + " ran (its jobs or training settings differ); export needs "
                     "the workload the run trained");
  }
  const std::string id = o.job.empty() ? best_job(state) : o.job;
  if (id.empty()) throw data_error(o.run + ": no job is done yet (name one to export its newest checkpoint)");
  const Job* job = nullptr;
  for (const auto& j : jobs.jobs)
    if (j.id == id) job = &j;
  if (!job) throw usage_error(id + ": no such job in " + o.run + " (see saturn status " + o.run + ")");
  if (auto h = hashes.find(id); h == hashes.end() || h->second != job->hash)
    throw data_error(path + ": " + id + " changed since " + o.run + " trained it (its model, data or training "
                     "settings differ); export needs the workload the run trained");
  const ModelSpec& m = w.models[job->model];
  train::ExportSource s;
  s.arch = m.arch;
  s.config = job->config;
  s.from_dir = m.from.empty() ? "" : w.resolve(m.from);
  const DataSpec d = w.data_for(m);
  s.tokenizer = d.tokenizer.empty() ? "" : w.resolve(d.tokenizer);
  s.job_dir = run_files::job_dir(o.run, id);
  s.finetune = job->finetune;
  s.seed = job->hp.seed;
  s.merge = o.merge;
  const train::Exported e = train::export_hf(s, o.out);
  std::cout << "exported " << id << " (step " << e.step << ", " << e.parameters << (e.adapters ? " adapter" : "")
            << " parameters) to " << o.out << ": load it with ";
  if (e.adapters)
    std::cout << "peft.PeftModel.from_pretrained(transformers.AutoModelForCausalLM.from_pretrained(\"" << s.from_dir
              << "\"), \"" << o.out << "\")\n";
  else
    std::cout << "transformers.AutoModelForCausalLM.from_pretrained(\"" << o.out << "\")\n";
  return 0;
}

}  // namespace

void add_export(CLI::App& app, Action& action) {
  auto o = std::make_shared<ExportOptions>();
  auto* sub = app.add_subcommand("export", "Write a finished job as a Hugging Face model folder (transformers loads it)");
  sub->add_option("run", o->run, "Run directory")->required();
  sub->add_option("job", o->job, "Job id (default: the leaderboard's best)");
  sub->add_option("--out", o->out, "Folder to write (new, or empty)")->required();
  sub->add_flag("--merge", o->merge, "LoRA jobs: write the model with the adapters merged in (default: PEFT adapters)");
  sub->callback([o, &action] { action = [o] { return run_export(*o); }; });
}

}  // namespace saturn::cmd
