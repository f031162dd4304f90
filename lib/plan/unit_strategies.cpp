#include "plan/unit_strategies.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>

#include "core/error.h"
#include "plan/timeline.h"

namespace saturn {

namespace {

std::vector<Strategy> strategies_covering(const PlanProblem& p, const std::vector<size_t>& jobs) {
  std::map<std::pair<int64_t, std::string>, Strategy> by_key;
  for (size_t o = 0; o < p.options.size(); ++o) {
    const auto& opt = p.options[o];
    if (opt.jobs != jobs) continue;
    auto& s = by_key[{opt.devices, opt.technique}];
    if (s.options.empty()) {
      s.technique = opt.technique;
      s.devices = opt.devices;
      s.best = opt.duration;
    }
    s.options.push_back(o);
    s.best = std::min(s.best, opt.duration);
  }
  std::vector<Strategy> out;
  for (auto& [k, s] : by_key) out.push_back(std::move(s));
  return out;
}

double min_area(const Unit& u) {
  double a = std::numeric_limits<double>::infinity();
  for (const auto& s : u.strategies) a = std::min(a, s.area());
  return a;
}

}  // namespace

std::vector<Unit> single_units(const PlanProblem& p, std::vector<size_t>* uncovered) {
  auto pinned = p.pinned_jobs();
  std::vector<Unit> units;
  for (size_t j = 0; j < p.jobs.size(); ++j) {
    if (pinned[j]) continue;
    Unit u;
    u.jobs = {j};
    u.strategies = strategies_covering(p, u.jobs);
    if (u.strategies.empty()) {
      if (uncovered) uncovered->push_back(j);
      continue;
    }
    units.push_back(std::move(u));
  }
  return units;
}

std::vector<Unit> fused_units(const PlanProblem& p) {
  std::vector<size_t> uncovered;
  auto singles = single_units(p, &uncovered);
  auto pinned = p.pinned_jobs();
  std::map<size_t, size_t> unit_of;  // job -> index into singles
  for (size_t u = 0; u < singles.size(); ++u) unit_of[singles[u].jobs[0]] = u;
  std::vector<bool> needed(p.jobs.size(), false);
  for (size_t j : uncovered) needed[j] = true;

  // Candidate groups: distinct job sets of fused options, none pinned.
  std::map<std::vector<size_t>, bool> seen;
  struct Group { Unit unit; double saved; bool covers_needed; };
  std::vector<Group> groups;
  for (const auto& opt : p.options) {
    if (opt.jobs.size() < 2 || seen[opt.jobs]) continue;
    seen[opt.jobs] = true;
    if (std::any_of(opt.jobs.begin(), opt.jobs.end(), [&](size_t j) { return pinned[j]; })) continue;
    Group g;
    g.unit.jobs = opt.jobs;
    g.unit.strategies = strategies_covering(p, opt.jobs);
    double alone = 0;
    g.covers_needed = false;
    for (size_t j : opt.jobs) {
      if (needed[j]) { g.covers_needed = true; continue; }
      alone += min_area(singles[unit_of[j]]);
    }
    g.saved = alone - min_area(g.unit);
    groups.push_back(std::move(g));
  }
  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    if (a.covers_needed != b.covers_needed) return a.covers_needed;
    return a.saved > b.saved;
  });
  std::vector<bool> taken(p.jobs.size(), false);
  std::vector<Unit> out;
  for (auto& g : groups) {
    if (!g.covers_needed && g.saved <= 0) continue;
    if (std::any_of(g.unit.jobs.begin(), g.unit.jobs.end(), [&](size_t j) { return taken[j]; })) continue;
    for (size_t j : g.unit.jobs) taken[j] = true;
    out.push_back(std::move(g.unit));
  }
  for (size_t j : uncovered)
    if (!taken[j]) throw data_error("plan problem: job " + p.jobs[j] + " can only run fused, and no fused group is free");
  for (auto& u : singles)
    if (!taken[u.jobs[0]]) out.push_back(std::move(u));
  std::sort(out.begin(), out.end(), [](const Unit& a, const Unit& b) { return a.jobs < b.jobs; });
  return out;
}

size_t cheapest_within(const Unit& u, double limit) {
  size_t best = SIZE_MAX, fastest = 0;
  for (size_t s = 0; s < u.strategies.size(); ++s) {
    const auto& st = u.strategies[s];
    if (st.best < u.strategies[fastest].best) fastest = s;
    if (st.best > limit) continue;
    if (best == SIZE_MAX || st.area() < u.strategies[best].area() ||
        (st.area() == u.strategies[best].area() && st.best < u.strategies[best].best))
      best = s;
  }
  return best == SIZE_MAX ? fastest : best;
}

Plan schedule_units(const PlanProblem& p, const std::vector<Unit>& units, const std::vector<size_t>& choice,
                    const std::vector<size_t>& order) {
  Timeline t(p);
  for (size_t u : order) {
    const auto& s = units[u].strategies[choice[u]];
    size_t pick = s.options[0];
    double best_end = std::numeric_limits<double>::infinity();
    for (size_t o : s.options) {
      double end = t.earliest_start(o) + p.options[o].duration;
      if (end < best_end) { best_end = end; pick = o; }
    }
    t.place(pick);
  }
  return t.plan();
}

std::vector<size_t> order_units(const std::vector<Unit>& units, const std::vector<size_t>& choice, Order rule) {
  std::vector<size_t> order(units.size());
  std::iota(order.begin(), order.end(), 0);
  auto key = [&](size_t u) {
    const auto& s = units[u].strategies[choice[u]];
    switch (rule) {
      case Order::Longest: return std::make_pair(s.best, 0.0);
      case Order::Largest: return std::make_pair(s.area(), s.best);
      case Order::Widest: return std::make_pair(static_cast<double>(s.devices), s.best);
    }
    return std::make_pair(0.0, 0.0);
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) > key(b); });
  return order;
}

}  // namespace saturn
