// Baselines: the plans saturn is compared against (REFERENCES.md), built from
// the same problem and list scheduler and passed through the same checker.
// They ignore fused options (jobs covered only by fused options make them
// throw saturn::Error, Data).
//
// - current practice: every job gets all devices of a node, one job after
//   another (each on the node that frees first), with one technique chosen
//   by a human (`technique`, FSDP by default); a job that cannot run that way
//   uses its fastest strategy on a whole node, else its fastest strategy.
// - optimus-greedy (Optimus, EuroSys'18): every job starts at its fewest
//   devices; repeatedly the job whose runtime drops most from one more device
//   (its next feasible count) gets it, while the devices in use fit the
//   cluster; then list scheduling, longest first.
// - max-heuristic (Saturn's): every job at the most devices it can use on a
//   node, fastest strategy there; list scheduling.
// - min-heuristic (Saturn's): every job at its fewest devices (spilling on
//   one where it fits), spare devices split evenly when jobs are fewer than
//   devices; list scheduling.
// - random: a random strategy per job and a random order (fixed seed).
// Deterministic. method = "baseline: <name>".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "plan/problem.h"

namespace saturn {

enum class Baseline { CurrentPractice, OptimusGreedy, MaxHeuristic, MinHeuristic, Random };

const char* baseline_name(Baseline b);         // "current practice", "optimus-greedy", ...
// Whether a baseline chooses by measured step times (optimus-greedy; max-
// and min-heuristic: the fastest strategy at their device counts): it needs
// the full measurement. Current practice (the human's technique on whole
// nodes) and random choose without one, so they run measuring nothing.
bool baseline_measures(Baseline b);
std::vector<Baseline> all_baselines();

struct BaselineOptions {
  std::string technique = "fsdp";   // current practice's one technique
  uint64_t seed = 1;                // random's seed
};

Plan baseline_plan(const PlanProblem& p, Baseline b, const BaselineOptions& o = {});

}  // namespace saturn
