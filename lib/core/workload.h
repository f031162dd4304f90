// Workload: one parsed and validated workload file (see saturn-workload(5)):
// the cluster, the models, the data, the search grid, and how to train and
// plan. A Workload that exists is valid: load_workload() checks everything
// before returning one. Plain value type.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "catalog.h"
#include "cluster.h"
#include "data_spec.h"
#include "early_stopping.h"
#include "error.h"
#include "grid.h"
#include "model_spec.h"
#include "random_search.h"
#include "select_spec.h"
#include "technique.h"
#include "train_spec.h"

namespace saturn {

// `path` as written in a workload whose relative paths are read from
// `base_dir`: absolute paths and an empty base stay as they are.
std::string resolve_path(const std::string& base_dir, const std::string& path);

// `d` as a model from folder `from` trains on it: text data without a
// tokenizer gets the folder's tokenizer.json when there is one (paths as
// written, read from `base_dir`).
DataSpec with_folder_tokenizer(DataSpec d, const std::string& from, const std::string& base_dir);

struct Workload {
  std::string name;                     // names the run directory
  Cluster cluster;
  std::vector<ModelSpec> models;        // at least one
  DataSpec data;                        // for models that do not override it
  Grid grid;                            // search.grid
  RandomSearch random;                  // search.random (trials 0: none); x every grid point
  EarlyStopping early_stopping;         // search.early_stopping (rule none: every job runs to the end)
  FinetuneSpec finetune;                // workload-wide; models[].finetune replaces its keys
  TrainSpec train;
  std::vector<Technique> techniques;    // allowed; at least one
  PlannerSpec planner;
  ProfileSpec profile;                  // what `saturn run` measures before it plans
  Selection select;                     // what ranks the jobs (select:)
  std::string base_dir;                 // folder relative paths are read from ("" = cwd)

  // The data a model trains on (its own, or the workload's); text without a
  // tokenizer gets the model folder's tokenizer.json when there is one.
  DataSpec data_for(const ModelSpec& m) const;
  // Sets chat_time of the workload's data and of every model's own.
  void pin_chat_time(int64_t seconds);
  // The grid a model's jobs come from (the workload's, with its overrides).
  Grid grid_for(const ModelSpec& m) const { return Grid::merge(grid, m.grid); }
  // A path as written in the workload, made relative to the current folder.
  std::string resolve(const std::string& path) const { return resolve_path(base_dir, path); }
  // Where this workload's run lives unless --run-dir says otherwise:
  // runs/NAME next to the workload file, wherever a command is run from.
  std::string default_run_dir() const { return resolve("runs/" + name); }

  bool operator==(const Workload&) const = default;
};

struct LoadOptions {
  const Catalog* catalog = nullptr;  // device models; nullptr = default_catalog()
  bool check_files = true;           // data and module files must exist (exit 66 if not)
  // load_workload(): resolve `cluster: slurm` against the Slurm job this
  // process runs in (SLURM_JOB_ID set), from `slurm_env` (nullptr = this
  // process's environment); outside a job the template stays.
  bool resolve_slurm = true;
  const std::map<std::string, std::string>* slurm_env = nullptr;
  // Non-null: parsing goes on past an error in one part (a section, one
  // model, one model's grid points) and collects each here, up to
  // kMaxWorkloadErrors; the first is still thrown at the end.
  std::vector<Error>* errors = nullptr;
};
inline constexpr size_t kMaxWorkloadErrors = 20;

// Parses and validates a workload file. Errors are saturn::Error with one
// line "file:line:col: field.path: what": Data (65) for bad content,
// NoInput (66) for a missing workload, data or module file; "file: cluster:
// slurm: what" (Data) for a Slurm job's variables that do not make a cluster.
Workload load_workload(const std::string& path, const LoadOptions& options = {});

// The same from text; `file` names it in errors; relative paths resolve
// against `base_dir`.
Workload parse_workload(const std::string& text, const std::string& file,
                        const std::string& base_dir, const LoadOptions& options = {});

// The workload as YAML that parse_workload() reads back to an equal Workload
// (defaults spelled out, canonical key order).
std::string to_yaml(const Workload& w);

// Largest workload file and job count accepted.
constexpr size_t kMaxWorkloadBytes = 1 << 20;
constexpr size_t kMaxJobs = 100000;

}  // namespace saturn
