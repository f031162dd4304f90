#include "plan/check.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/text.h"

namespace saturn {

namespace {
// Seconds two times may differ by and still be equal (durations are hours).
double tolerance(double scale) { return 1e-6 * std::max(1.0, scale); }
}  // namespace

std::vector<std::string> check_plan(const PlanProblem& p, const Plan& plan) {
  std::vector<std::string> bad;
  std::vector<int> covered(p.jobs.size(), 0);
  std::map<size_t, const PinnedOption*> pinned;
  for (const auto& pin : p.pinned) pinned[pin.option] = &pin;
  std::map<std::pair<size_t, int64_t>, std::vector<std::pair<double, double>>> held;
  double latest = 0;
  for (size_t i = 0; i < plan.items.size(); ++i) {
    const auto& a = plan.items[i];
    std::string at = "item " + std::to_string(i);
    if (a.option >= p.options.size()) { bad.push_back(at + ": option " + std::to_string(a.option) + " does not exist"); continue; }
    const auto& o = p.options[a.option];
    const auto& node = p.nodes[o.node];
    at += " (" + o.technique + " x" + std::to_string(o.devices) + " on " + node.name + ")";
    for (size_t j : o.jobs) covered[j]++;
    double tol = tolerance(a.end);
    auto pin = pinned.find(a.option);
    if (pin != pinned.end()) {
      if (!a.pinned) bad.push_back(at + ": is running but not marked pinned");
      if (std::abs(a.start) > tol || std::abs(a.end - pin->second->remaining) > tol)
        bad.push_back(at + ": is running with " + std::to_string(pin->second->remaining) + " s left but planned " +
                      std::to_string(a.start) + " .. " + std::to_string(a.end));
      auto want = pin->second->device_ids;
      auto have = a.device_ids;
      std::sort(want.begin(), want.end());
      std::sort(have.begin(), have.end());
      if (want != have) bad.push_back(at + ": is running on other devices than planned");
    } else {
      if (a.pinned) bad.push_back(at + ": is marked pinned but is not running");
      if (!(a.start >= -tol)) bad.push_back(at + ": starts at " + std::to_string(a.start));
      if (std::abs((a.end - a.start) - o.duration) > tol)
        bad.push_back(at + ": lasts " + std::to_string(a.end - a.start) + " s, its strategy takes " +
                      std::to_string(o.duration) + " s");
    }
    if (static_cast<int64_t>(a.device_ids.size()) != o.devices)
      bad.push_back(at + ": holds " + std::to_string(a.device_ids.size()) + " devices");
    std::set<int64_t> seen;
    for (int64_t d : a.device_ids) {
      if (d < 0 || d >= node.devices) bad.push_back(at + ": device " + std::to_string(d) + " is not on " + node.name);
      if (!seen.insert(d).second) bad.push_back(at + ": names device " + std::to_string(d) + " twice");
      held[{o.node, d}].push_back({a.start, a.end});
    }
    latest = std::max(latest, a.end);
  }
  for (const auto& [dev, spans] : held) {
    auto s = spans;
    std::sort(s.begin(), s.end());
    for (size_t k = 1; k < s.size(); ++k)
      if (s[k].first < s[k - 1].second - tolerance(s[k].first))
        bad.push_back("device " + std::to_string(dev.second) + " of " + p.nodes[dev.first].name + " is held twice at " +
                      std::to_string(s[k].first) + " s");
  }
  for (size_t j = 0; j < p.jobs.size(); ++j)
    if (covered[j] != 1) bad.push_back("job " + p.jobs[j] + " is planned " + std::to_string(covered[j]) + " times");
  for (const auto& [o, pin] : pinned)
    if (std::none_of(plan.items.begin(), plan.items.end(), [&](const Assignment& a) { return a.option == o; }))
      bad.push_back("running option " + std::to_string(o) + " is missing from the plan");
  if (std::abs(latest - plan.makespan) > tolerance(latest))
    bad.push_back("makespan " + std::to_string(plan.makespan) + " s, latest end " + std::to_string(latest) + " s");
  return bad;
}

}  // namespace saturn
