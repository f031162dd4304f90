// Jobs: a workload expanded into what will actually train: one Job per model
// and grid point. A job's Shape is everything that changes the cost of a step
// (architecture, config, batch size); the profiler measures each shape once,
// for every learning rate, seed and other hyperparameter of the grid.
// Plain value types.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hyperparams.h"
#include "workload.h"

namespace saturn {

struct JobShape {
  std::string id;          // readable: "gpt2-1.5b/bs=16" (the first model that has it)
  std::string hash;        // content hash of arch + config + batch size (profile store key)
  Arch arch = Arch::Gpt;
  Config config;
  int64_t batch_size = 0;
  FinetuneSpec finetune;   // what trains (its rank and targets change the cost; alpha does not)
  std::vector<size_t> jobs;  // indexes into JobSet::jobs

  std::string canonical() const;  // what the hash is of
};

struct Job {
  std::string id;          // readable and unique: "gpt-small/lr=3e-4,bs=16"
  std::string hash;        // content hash of everything that defines the job
  size_t model = 0;        // index into Workload::models
  Hyperparams hp;
  Config config;           // the model's config with this point's config axes applied
  FinetuneSpec finetune;   // the model's, with this point's lora.* axes applied
  size_t shape = 0;        // index into JobSet::shapes
  // The grid values of this job that vary across the model's grid, in grid
  // order: what the id is made of.
  std::vector<std::pair<std::string, Value>> point;
};

struct JobSet {
  std::vector<Job> jobs;
  std::vector<JobShape> shapes;
};

// models x grid, in model order, then grid order (first axis slowest).
JobSet expand_jobs(const Workload& w);

// The jobs whose id matches one of `patterns` (fnmatch globs; a model's name
// selects all its jobs), with their shapes, in order. A pattern that
// matches no job is a usage error naming it.
JobSet select_jobs(const JobSet& set, const std::vector<std::string>& patterns);

}  // namespace saturn
