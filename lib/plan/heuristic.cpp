#include "plan/heuristic.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "plan/units.h"

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

}  // namespace

Plan heuristic_plan(const PlanProblem& p, const HeuristicOptions& opt) {
  auto t0 = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  auto units = fused_units(p);

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

  Candidate best;
  best.plan.makespan = std::numeric_limits<double>::infinity();
  auto consider = [&](const std::vector<size_t>& choice, Order rule, const std::string& allocation) {
    Plan plan = schedule_units(p, units, choice, order_units(units, choice, rule));
    if (plan.makespan < best.plan.makespan - 1e-9) {
      best.plan = std::move(plan);
      best.choice = choice;
      best.order = rule;
      best.allocation = allocation;
      return true;
    }
    return false;
  };

  std::vector<std::vector<size_t>> tried;
  for (double c : targets) {
    std::vector<size_t> choice(units.size());
    for (size_t u = 0; u < units.size(); ++u) choice[u] = cheapest_within(units[u], c);
    if (std::find(tried.begin(), tried.end(), choice) != tried.end()) continue;
    tried.push_back(choice);
    std::string name = std::isinf(c) ? "fewest device-seconds" : "cheapest within a target";
    for (Order rule : {Order::Longest, Order::Largest, Order::Widest}) consider(choice, rule, name);
  }
  if (units.empty()) {  // everything is pinned
    best.plan = schedule_units(p, units, {}, {});
    best.allocation = "running jobs only";
  }

  // Local search on units that end at the makespan.
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
  // Iterated local search over (strategies, order): one random move at a
  // time (another strategy for a unit, two units swapped, a unit moved),
  // kept when the makespan, then the sum of ends, does not get worse; after
  // a long stall, a kick from the best. Fixed seed and an iteration budget:
  // the same problem gives the same plan (the time limit is a safety net).
  if (!units.empty() && opt.iterations > 0) {
    std::mt19937_64 rng(opt.seed);
    auto key = [](const Plan& plan) {
      double sum = 0;
      for (const auto& a : plan.items) sum += a.end;
      return std::make_pair(plan.makespan, sum);
    };
    std::vector<size_t> best_order = order_units(units, best.choice, best.order);
    std::vector<size_t> choice = best.choice, order = best_order;
    auto cur = key(best.plan);
    int64_t stall = 0;
    const int64_t n = static_cast<int64_t>(units.size());
    for (int64_t it = 0; it < opt.iterations; ++it) {
      if ((it & 63) == 0 && elapsed() >= opt.time_limit) break;
      auto c = choice;
      auto o = order;
      int moves = stall > 2000 ? 3 : 1;
      if (stall > 2000) {
        c = best.choice;
        o = best_order;
        stall = 0;
      }
      for (int k = 0; k < moves; ++k) {
        switch (rng() % 3) {
          case 0: {
            size_t u = rng() % units.size();
            if (units[u].strategies.size() > 1) c[u] = rng() % units[u].strategies.size();
            break;
          }
          case 1:
            if (n > 1) std::swap(o[rng() % o.size()], o[rng() % o.size()]);
            break;
          default:
            if (n > 1) {
              size_t from = rng() % o.size(), to = rng() % o.size();
              size_t u = o[from];
              o.erase(o.begin() + static_cast<std::ptrdiff_t>(from));
              o.insert(o.begin() + static_cast<std::ptrdiff_t>(to), u);
            }
        }
      }
      Plan plan = schedule_units(p, units, c, o);
      auto k = key(plan);
      if (k.first < cur.first - 1e-9 || (k.first <= cur.first + 1e-9 && k.second <= cur.second + 1e-9)) {
        if (k.first < best.plan.makespan - 1e-9) {
          best.plan = plan;
          best.choice = c;
          best_order = o;
          best.allocation = "iterated local search";
        }
        stall = k.first < cur.first - 1e-9 ? 0 : stall + 1;
        choice = std::move(c);
        order = std::move(o);
        cur = k;
      } else {
        ++stall;
      }
    }
  }
  best.plan.method = "heuristic: " + best.allocation + (best.allocation == "iterated local search" ? "" : std::string(", ") + order_name(best.order));
  best.plan.solve_s = elapsed();
  return best.plan;
}

}  // namespace saturn
