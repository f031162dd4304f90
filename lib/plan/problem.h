// PlanProblem: the SPASE instance the planner solves, as plain data.
//
// Jobs are named by index. Nodes hold a number of interchangeable devices; a
// node's devices are ids 0 .. devices-1. An Option is one way to run some
// jobs: a strategy (technique label + device count) on one node, with its
// duration there. An option covers one job, or several at once (a fused
// group: K jobs of one shape trained as one wider model), so the planner
// picks a set of options that covers every job exactly once. A strategy that
// does not fit a node simply has no option on it (infeasible strategies and
// heterogeneous nodes are expressed by absence).
//
// Pinned options are already running (introspection re-plans around them):
// their node, device ids and remaining seconds are fixed; they start at 0.
// Plain value types; validate() throws saturn::Error (Data) naming the
// first inconsistency.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace saturn {

struct PlanNode {
  std::string name;        // unique, e.g. "p4d-0"
  std::string kind;        // device model, e.g. "A100-40GB" (for display)
  int64_t devices = 1;     // devices on the node (ids 0 .. devices-1)
};

struct PlanOption {
  std::vector<size_t> jobs;   // jobs it covers (one, or a fused group), ascending
  std::string technique;      // "single", "ddp", "fsdp", "pipeline", "spill", "fused"
  int64_t devices = 1;        // devices it holds on its node, all for its whole duration
  size_t node = 0;            // index into PlanProblem::nodes
  double duration = 0;        // seconds from start to end on that node (> 0)
  std::string knobs;          // the technique's settings, e.g. "micro=8" (what the profiler found best)

  // "ddp x2"; a fused group says how many jobs it trains: "fused x1 (8 jobs)".
  std::string label() const {
    return technique + " x" + std::to_string(devices) +
           (jobs.size() > 1 ? " (" + std::to_string(jobs.size()) + " jobs)" : "");
  }
};

struct PinnedOption {
  size_t option = 0;                 // index into PlanProblem::options
  std::vector<int64_t> device_ids;   // the devices it runs on (size == option's devices)
  double remaining = 0;              // seconds left from now (>= 0)
};

struct PlanProblem {
  std::vector<std::string> jobs;     // job ids (display, plan.json)
  std::vector<PlanNode> nodes;
  std::vector<PlanOption> options;
  std::vector<PinnedOption> pinned;  // running now; they cover their jobs

  int64_t total_devices() const;
  // Options covering job j, in option order.
  std::vector<size_t> options_of(size_t job) const;
  // Jobs the pinned options cover (true at index j when covered).
  std::vector<bool> pinned_jobs() const;
  // Options the planner may still choose: not pinned, and covering no job
  // a pinned option covers. Ascending.
  std::vector<size_t> free_options() const;

  // Throws saturn::Error (Data): bad indexes, a job no option covers, a
  // duration <= 0 or not finite, devices outside 1 .. node devices, pinned
  // devices repeated or out of range, two pinned options on one device or
  // covering one job.
  void validate() const;
};

// The problem without options that can never be better: on one node and
// covering the same jobs, an option is dropped when another has no more
// devices and no longer duration (ties keep the first). Pinned options are
// kept and re-indexed. `kept[i]` is the original index of option i.
PlanProblem prune_dominated(const PlanProblem& p, std::vector<size_t>* kept = nullptr);

}  // namespace saturn
