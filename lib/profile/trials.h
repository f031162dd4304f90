// Trials: which strategies `saturn profile` measures for a workload, and the
// device groups they run on.
//
// A device group is a set of identical nodes (same device kind, catalog
// model, devices per node, threads and memory budget). For every job shape,
// every allowed technique the engine implements (all but fused) and every
// device count it can use on one node of a group (single, spill: 1; the
// others: 2 .. devices per node), there is one trial per knob setting
// (technique_knobs): a ProfileKey. Learning rate, seed
// and other hyperparameters are not part of a shape, so one trial serves
// them all. Plain functions and value types.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/job.h"
#include "core/profile_entry.h"
#include "core/workload.h"

namespace saturn {

struct DeviceGroup {
  DeviceKind kind = DeviceKind::Cpu;   // cuda or cpu (auto resolved by the caller)
  std::string model;                   // catalog model ("cpu" for cpu devices without one)
  int64_t count = 1;                   // devices per node
  int64_t threads = 0;                 // cpu: intra-op threads per device; 0 on cuda
  int64_t memory = 0;                  // bytes per device plans may use: the node's, else the catalog model's,
                                       // less its reserve (core/cluster.h device_reserve)
  std::vector<std::string> nodes;      // node instances in the group
};

// The cluster's nodes grouped; `cuda_here` resolves `auto` nodes.
std::vector<DeviceGroup> device_groups(const Workload& w, bool cuda_here);

struct Trial {
  size_t shape = 0;         // index into JobSet::shapes
  size_t group = 0;         // index into the device groups
  ProfileKey key;
  std::string job;          // the job id the worker trains (the shape's first job)
};

// Every measurable trial, in shape, group, technique, device count order.
std::vector<Trial> enumerate_trials(const Workload& w, const JobSet& jobs, const std::vector<DeviceGroup>& groups);

// The naive count: jobs x allowed techniques x device counts (what trials
// would be without shapes).
int64_t naive_trial_count(const Workload& w, const JobSet& jobs, const std::vector<DeviceGroup>& groups);

// Device counts a technique can use on a node of `per_node` devices: one
// for single and spill (one device, Hydra), 2 .. per_node for ddp, fsdp and
// pipeline; one for fused (K jobs on one device).
std::vector<int64_t> technique_device_counts(Technique t, int64_t per_node);

// The knob settings the profiler tries for a strategy, best kept: a
// pipeline's micro-batch count ("micro=M" for M = n, 2n, 4n, at most the
// batch); FSDP with activations recomputed ("", the default) or kept
// ("recompute=0"), and on CUDA with its optimizer state offloaded to the host
// ("offload=1"); fused groups of K = 2, 4, 8, ... of the shape's `jobs`
// ("k=K", each its own strategy: the view keeps them all, not the fastest);
// one setting, "" (the defaults), for the others. Single, DDP and FSDP also
// accumulate gradients over micro-batches of M samples per rank ("mb=M",
// M = half a rank's share of the batch, a quarter, ... 1): the same step in
// less activation memory, for a job that does not fit otherwise.
std::vector<std::string> technique_knobs(Technique t, int64_t devices, int64_t batch, bool cuda, int64_t jobs);

// The next smaller accumulation of an "mb=M" setting ("mb=2M", or "" when
// 2M is a rank's whole share), or nullopt for a setting without "mb". The
// profiler runs an "mb" trial only when that one is over budget.
std::optional<std::string> less_accumulation(const std::string& knobs, int64_t devices, int64_t batch);

// A fused strategy's group size ("k=K" -> K; 1 when absent).
int64_t fused_k(const std::string& knobs);

// Techniques the engine can run today (the others are estimated only).
bool engine_implements(Technique t);

}  // namespace saturn
