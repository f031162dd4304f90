// Units and strategies: the view the heuristics and baselines take of a
// problem. A unit is what gets scheduled as one: a job, or a fused group of
// jobs. A unit's strategies are its options grouped by (technique, devices)
// across nodes: the allocation decides a strategy, list scheduling then picks
// the node where it ends earliest. Pinned jobs belong to no unit.
// Plain value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "plan/problem.h"

namespace saturn {

struct Strategy {
  std::string technique;
  int64_t devices = 1;
  std::vector<size_t> options;   // one per node it can run on
  double best = 0;               // shortest duration over those nodes
  double area() const { return best * static_cast<double>(devices); }
};

struct Unit {
  std::vector<size_t> jobs;             // ascending
  std::vector<Strategy> strategies;     // by devices, then technique
};

// One unit per job no pinned option covers, with the options covering
// exactly that job. Jobs only fused options cover are left out of `units`
// and listed in `*uncovered` (the caller fuses them or fails).
std::vector<Unit> single_units(const PlanProblem& p, std::vector<size_t>* uncovered = nullptr);

// single_units, then greedily fused groups (most device-seconds saved
// first) whose jobs are all still alone, when fusing saves device-seconds
// or covers a job nothing else can. Throws saturn::Error (Data) when a job
// cannot be covered this way.
std::vector<Unit> fused_units(const PlanProblem& p);

// Index of the strategy with the fewest device-seconds among those lasting
// at most `limit` (ties: shorter), else of the shortest strategy.
size_t cheapest_within(const Unit& u, double limit);

// List scheduling: units in `order`, each with strategy `choice[u]`, on the
// node where it ends earliest, at its earliest start (backfilling).
Plan schedule_units(const PlanProblem& p, const std::vector<Unit>& units, const std::vector<size_t>& choice,
                    const std::vector<size_t>& order);

// Orders used by list scheduling: longest chosen duration first; most
// device-seconds first; most devices first (then longest).
enum class Order { Longest, Largest, Widest };
std::vector<size_t> order_units(const std::vector<Unit>& units, const std::vector<size_t>& choice, Order rule);

}  // namespace saturn
