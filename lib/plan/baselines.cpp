#include "plan/baselines.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include "core/error.h"
#include "plan/timeline.h"
#include "plan/unit_strategies.h"

namespace saturn {

const char* baseline_name(Baseline b) {
  switch (b) {
    case Baseline::CurrentPractice: return "current practice";
    case Baseline::OptimusGreedy: return "optimus-greedy";
    case Baseline::MaxHeuristic: return "max-heuristic";
    case Baseline::MinHeuristic: return "min-heuristic";
    case Baseline::Random: return "random";
  }
  return "";
}

bool baseline_measures(Baseline b) {
  return b == Baseline::OptimusGreedy || b == Baseline::MaxHeuristic || b == Baseline::MinHeuristic;
}

std::vector<Baseline> all_baselines() {
  return {Baseline::CurrentPractice, Baseline::OptimusGreedy, Baseline::MaxHeuristic, Baseline::MinHeuristic,
          Baseline::Random};
}

namespace {

// Fastest strategy of a unit using exactly `devices` (SIZE_MAX if none).
size_t fastest_at(const Unit& u, int64_t devices) {
  size_t best = SIZE_MAX;
  for (size_t s = 0; s < u.strategies.size(); ++s)
    if (u.strategies[s].devices == devices && (best == SIZE_MAX || u.strategies[s].best < u.strategies[best].best))
      best = s;
  return best;
}

size_t fastest(const Unit& u, int64_t max_devices) {
  size_t best = SIZE_MAX;
  for (size_t s = 0; s < u.strategies.size(); ++s)
    if (u.strategies[s].devices <= max_devices &&
        (best == SIZE_MAX || u.strategies[s].best < u.strategies[best].best))
      best = s;
  return best;
}

Plan current_practice(const PlanProblem& p, const std::vector<Unit>& units, const std::string& technique) {
  Timeline t(p);
  for (const auto& u : units) {
    // Options on a whole node: the human's technique, else the fastest there.
    std::vector<size_t> whole, chosen;
    for (const auto& s : u.strategies)
      for (size_t o : s.options)
        if (p.options[o].devices == p.nodes[p.options[o].node].devices) whole.push_back(o);
    for (size_t o : whole)
      if (p.options[o].technique == technique) chosen.push_back(o);
    if (chosen.empty() && !whole.empty()) {
      auto pick = *std::min_element(whole.begin(), whole.end(), [&](size_t a, size_t b) {
        return p.options[a].duration < p.options[b].duration;
      });
      for (size_t o : whole)
        if (p.options[o].technique == p.options[pick].technique) chosen.push_back(o);
    }
    if (chosen.empty()) chosen = u.strategies[fastest(u, std::numeric_limits<int64_t>::max())].options;
    // One job after another: the node that frees first.
    size_t pick = chosen[0];
    double best = std::numeric_limits<double>::infinity();
    for (size_t o : chosen) {
      double s = std::max(t.earliest_start(o), t.makespan());
      if (s + p.options[o].duration < best) { best = s + p.options[o].duration; pick = o; }
    }
    t.place(pick, t.makespan());
  }
  return t.plan();
}

}  // namespace

Plan baseline_plan(const PlanProblem& p, Baseline b, const BaselineOptions& bo) {
  std::vector<size_t> uncovered;
  auto units = single_units(p, &uncovered);
  if (!uncovered.empty())
    throw data_error(std::string("baseline ") + baseline_name(b) + ": job " + p.jobs[uncovered[0]] +
                     " can only run fused");
  int64_t widest = 0;
  for (const auto& n : p.nodes) widest = std::max(widest, n.devices);
  std::vector<size_t> choice(units.size());
  Plan plan;
  switch (b) {
    case Baseline::CurrentPractice:
      plan = current_practice(p, units, bo.technique);
      break;
    case Baseline::OptimusGreedy: {
      int64_t in_use = 0;
      for (size_t u = 0; u < units.size(); ++u) {
        choice[u] = 0;  // strategies are sorted by devices: the first has the fewest
        for (int64_t k = 1; k <= widest; ++k)
          if (size_t s = fastest_at(units[u], k); s != SIZE_MAX) { choice[u] = s; break; }
        in_use += units[u].strategies[choice[u]].devices;
      }
      while (true) {
        size_t best_u = SIZE_MAX, best_s = 0;
        double best_drop = 0;
        for (size_t u = 0; u < units.size(); ++u) {
          const auto& cur = units[u].strategies[choice[u]];
          for (int64_t k = cur.devices + 1; k <= widest; ++k) {
            size_t s = fastest_at(units[u], k);
            if (s == SIZE_MAX) continue;
            double drop = cur.best - units[u].strategies[s].best;
            if (in_use - cur.devices + k <= p.total_devices() && drop > best_drop) {
              best_drop = drop;
              best_u = u;
              best_s = s;
            }
            break;  // one more device: the next feasible count only
          }
        }
        if (best_u == SIZE_MAX) break;
        in_use += units[best_u].strategies[best_s].devices - units[best_u].strategies[choice[best_u]].devices;
        choice[best_u] = best_s;
      }
      plan = schedule_units(p, units, choice, order_units(units, choice, Order::Longest));
      break;
    }
    case Baseline::MaxHeuristic:
      for (size_t u = 0; u < units.size(); ++u) {
        int64_t most = 0;
        for (const auto& s : units[u].strategies) most = std::max(most, s.devices);
        choice[u] = fastest_at(units[u], most);
      }
      plan = schedule_units(p, units, choice, order_units(units, choice, Order::Longest));
      break;
    case Baseline::MinHeuristic: {
      int64_t share = units.empty() ? 1 : std::max<int64_t>(1, p.total_devices() / static_cast<int64_t>(units.size()));
      for (size_t u = 0; u < units.size(); ++u) {
        int64_t fewest = std::numeric_limits<int64_t>::max();
        for (const auto& s : units[u].strategies) fewest = std::min(fewest, s.devices);
        choice[u] = fastest(units[u], std::max(fewest, std::min(share, widest)));
      }
      plan = schedule_units(p, units, choice, order_units(units, choice, Order::Longest));
      break;
    }
    case Baseline::Random: {
      std::mt19937_64 rng(bo.seed);
      for (size_t u = 0; u < units.size(); ++u)
        choice[u] = std::uniform_int_distribution<size_t>(0, units[u].strategies.size() - 1)(rng);
      std::vector<size_t> order(units.size());
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), rng);
      plan = schedule_units(p, units, choice, order);
      break;
    }
  }
  plan.method = std::string("baseline: ") + baseline_name(b);
  return plan;
}

}  // namespace saturn
