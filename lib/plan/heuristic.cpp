#include "plan/heuristic.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "plan/unit_strategies.h"

namespace saturn {

namespace {

using Clock = std::chrono::steady_clock;

const char* order_name(Order o) {
  switch (o) {
    case Order::Longest: return "longest first";
    case Order::Largest: return "largest first";
    case Order::Widest: return "widest first";
  }
  return "";
}

struct Candidate {
  Plan plan;
  std::vector<size_t> choice;
  Order order = Order::Longest;
  std::string allocation;
};

// One heuristic_plan() call: the units, the best plan so far, the clock.
struct Search {
  const PlanProblem& p;
  const HeuristicOptions& opt;
  std::vector<Unit> units;
  Candidate best;
  Clock::time_point t0 = Clock::now();

  double elapsed() const { return std::chrono::duration<double>(Clock::now() - t0).count(); }
  // Keeps the plan of (choice, rule) when it is better than the best.
  bool consider(const std::vector<size_t>& choice, Order rule, const std::string& allocation) {
    Plan plan = schedule_units(p, units, choice, order_units(units, choice, rule));
    if (plan.makespan < best.plan.makespan - 1e-9) {
      best.plan = std::move(plan);
      best.choice = choice;
      best.order = rule;
      best.allocation = allocation;
      return true;
    }
    return false;
  }
  void allocate();
  void local_search();
  void anneal();
};

// Allocations: each unit's cheapest strategy within a target makespan, for
// targets spread over the strategies' best times (and no target: fewest
// device-seconds), each under every ordering rule.
void Search::allocate() {
  std::vector<double> targets;
  for (const auto& u : units)
    for (const auto& s : u.strategies) targets.push_back(s.best);
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  if (targets.size() > opt.max_targets && opt.max_targets > 1) {
    std::vector<double> picked;
    for (size_t k = 0; k < opt.max_targets; ++k)
      picked.push_back(targets[k * (targets.size() - 1) / (opt.max_targets - 1)]);
    picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
    targets = picked;
  }
  targets.push_back(std::numeric_limits<double>::infinity());
  std::vector<std::vector<size_t>> tried;
  for (double c : targets) {
    std::vector<size_t> choice(units.size());
    for (size_t u = 0; u < units.size(); ++u) choice[u] = cheapest_within(units[u], c);
    if (std::find(tried.begin(), tried.end(), choice) != tried.end()) continue;
    tried.push_back(choice);
    std::string name = std::isinf(c) ? "fewest device-seconds" : "cheapest within a target";
    for (Order rule : {Order::Longest, Order::Largest, Order::Widest}) consider(choice, rule, name);
  }
}

// Another strategy for a unit that ends at the makespan, until none helps.
void Search::local_search() {
  bool improved = true;
  while (improved && elapsed() < opt.time_limit) {
    improved = false;
    std::vector<size_t> critical;
    for (const auto& a : best.plan.items)
      if (!a.pinned && a.end >= best.plan.makespan - 1e-9)
        for (size_t u = 0; u < units.size(); ++u)
          if (units[u].jobs == p.options[a.option].jobs) critical.push_back(u);
    for (size_t u : critical) {
      for (size_t s = 0; s < units[u].strategies.size() && !improved; ++s) {
        if (s == best.choice[u]) continue;
        auto choice = best.choice;
        choice[u] = s;
        for (Order rule : {Order::Longest, Order::Largest, Order::Widest})
          if (consider(choice, rule, "local search")) { improved = true; break; }
        if (elapsed() >= opt.time_limit) break;
      }
      if (improved || elapsed() >= opt.time_limit) break;
    }
  }
}

// Simulated annealing over (strategies, order): one random move at a time
// (another strategy for a unit, two units swapped, a unit moved), scored
// by the makespan plus a little of the mean end (so moves that free
// devices earlier count before they shorten the plan); worse scores are
// taken with the Metropolis probability at a temperature falling from 3%
// of the makespan to zero. Fixed seed and an iteration budget: the same
// problem gives the same plan (the time limit is a safety net).
void Search::anneal() {
  std::mt19937_64 rng(opt.seed);
  std::uniform_real_distribution<double> uniform(0, 1);
  auto score = [](const Plan& plan) {
    double sum = 0;
    for (const auto& a : plan.items) sum += a.end;
    return plan.makespan + 0.05 * sum / static_cast<double>(std::max<size_t>(1, plan.items.size()));
  };
  std::vector<size_t> choice = best.choice, order = order_units(units, best.choice, best.order);
  double cur = score(best.plan);
  const double hot = 0.03 * best.plan.makespan;
  const size_t n = units.size();
  // The budget in moves: about what the time share allows on a slow core,
  // so the time limit rarely has to cut it (which would make plans depend
  // on the machine's speed).
  const int64_t iterations = std::min<int64_t>(
      opt.iterations, std::max<int64_t>(200, static_cast<int64_t>(opt.moves_per_second * opt.time_limit / static_cast<double>(n))));
  for (int64_t it = 0; it < iterations; ++it) {
    if ((it & 63) == 0 && elapsed() >= opt.time_limit) break;
    double temperature = hot * (1.0 - static_cast<double>(it) / static_cast<double>(iterations));
    auto c = choice;
    auto o = order;
    switch (rng() % 3) {
      case 0: {
        size_t u = rng() % n;
        if (units[u].strategies.size() > 1) c[u] = rng() % units[u].strategies.size();
        break;
      }
      case 1:
        std::swap(o[rng() % n], o[rng() % n]);
        break;
      default: {
        size_t from = rng() % n, to = rng() % n;
        size_t u = o[from];
        o.erase(o.begin() + static_cast<std::ptrdiff_t>(from));
        o.insert(o.begin() + static_cast<std::ptrdiff_t>(to), u);
      }
    }
    Plan plan = schedule_units(p, units, c, o);
    double sc = score(plan);
    double delta = sc - cur;
    if (delta <= 0 || (temperature > 0 && uniform(rng) < std::exp(-delta / temperature))) {
      if (plan.makespan < best.plan.makespan - 1e-9) {
        best.plan = plan;
        best.choice = c;
        best.allocation = "simulated annealing";
      }
      choice = std::move(c);
      order = std::move(o);
      cur = sc;
    }
  }
}

}  // namespace

Plan heuristic_plan(const PlanProblem& p, const HeuristicOptions& opt) {
  Search s{p, opt, fused_units(p), {}};
  s.best.plan.makespan = std::numeric_limits<double>::infinity();
  s.allocate();
  if (s.units.empty()) {  // everything is pinned
    s.best.plan = schedule_units(p, s.units, {}, {});
    s.best.allocation = "running jobs only";
  }
  s.local_search();
  if (!s.units.empty() && opt.iterations > 0) s.anneal();
  Candidate& best = s.best;
  best.plan.method = "heuristic: " + best.allocation +
                     (best.allocation == "simulated annealing" ? "" : std::string(", ") + order_name(best.order));
  best.plan.solve_s = s.elapsed();
  return best.plan;
}

}  // namespace saturn
