// saturn export RUN [JOB] --out DIR: a finished job (default: the
// leaderboard's best) as a Hugging Face model folder (train/hf_export.h).
#include <iostream>
#include <memory>

#include "commands.h"
#include "trained_job.h"
#include "train/hf_export.h"

namespace saturn::cmd {
namespace {

struct ExportOptions {
  std::string run;   // the run directory
  std::string job;   // "" = the leaderboard's best
  std::string out;   // the folder to write
  bool merge = false;  // LoRA: the merged model instead of the adapters
  std::string dtype = "auto";  // auto | bf16 | fp16 | fp32
};

int run_export(const ExportOptions& o) {
  train::export_dtype(o.dtype, "");  // a bad --dtype before anything is read
  const RunJob found = find_run_job(o.run, o.job, "export");
  const std::string& id = found.id;
  train::ExportSource s;
  static_cast<train::TrainedJob&>(s) = found.job;
  s.merge = o.merge;
  s.dtype = o.dtype;
  const train::Exported e = train::export_hf(s, o.out);
  std::cout << "exported " << id << " (step " << e.step << ", " << e.parameters << (e.adapters ? " adapter" : "")
            << " parameters" << (e.adapters ? "" : ", " + e.dtype) << ") to " << o.out << ": load it with ";
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
  sub->add_option("--dtype", o->dtype,
                  "Weights' dtype: auto (the base folder's torch_dtype, else float32; the default), bf16, fp16 or fp32");
  sub->callback([o, &action] { action = [o] { return run_export(*o); }; });
}

}  // namespace saturn::cmd
