#include "plan/problem.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/error.h"
#include "plan/plan.h"

namespace saturn {

int64_t PlanProblem::total_devices() const {
  int64_t n = 0;
  for (const auto& node : nodes) n += node.devices;
  return n;
}

std::vector<size_t> PlanProblem::options_of(size_t job) const {
  std::vector<size_t> out;
  for (size_t i = 0; i < options.size(); ++i)
    if (std::find(options[i].jobs.begin(), options[i].jobs.end(), job) != options[i].jobs.end()) out.push_back(i);
  return out;
}

std::vector<bool> PlanProblem::pinned_jobs() const {
  std::vector<bool> covered(jobs.size(), false);
  for (const auto& pin : pinned)
    if (pin.option < options.size())
      for (size_t j : options[pin.option].jobs)
        if (j < covered.size()) covered[j] = true;
  return covered;
}

std::vector<size_t> PlanProblem::free_options() const {
  auto covered = pinned_jobs();
  std::vector<bool> is_pinned(options.size(), false);
  for (const auto& pin : pinned)
    if (pin.option < options.size()) is_pinned[pin.option] = true;
  std::vector<size_t> out;
  for (size_t o = 0; o < options.size(); ++o) {
    const auto& jobs = options[o].jobs;
    if (!is_pinned[o] && std::none_of(jobs.begin(), jobs.end(), [&](size_t j) { return j < covered.size() && covered[j]; }))
      out.push_back(o);
  }
  return out;
}

void PlanProblem::validate() const {
  auto fail = [](const std::string& m) { throw data_error("plan problem: " + m); };
  for (const auto& n : nodes)
    if (n.devices < 1) fail("node " + n.name + " has " + std::to_string(n.devices) + " devices");
  std::vector<int> covered(jobs.size(), 0);
  for (size_t i = 0; i < options.size(); ++i) {
    const auto& o = options[i];
    std::string at = "option " + std::to_string(i);
    if (o.jobs.empty()) fail(at + " covers no job");
    for (size_t k = 0; k < o.jobs.size(); ++k) {
      if (o.jobs[k] >= jobs.size()) fail(at + " covers job " + std::to_string(o.jobs[k]) + " of " + std::to_string(jobs.size()));
      if (k > 0 && o.jobs[k] <= o.jobs[k - 1]) fail(at + " lists its jobs out of order or twice");
      covered[o.jobs[k]] = 1;
    }
    if (o.node >= nodes.size()) fail(at + " is on node " + std::to_string(o.node) + " of " + std::to_string(nodes.size()));
    if (o.devices < 1 || o.devices > nodes[o.node].devices)
      fail(at + " needs " + std::to_string(o.devices) + " devices; node " + nodes[o.node].name + " has " +
           std::to_string(nodes[o.node].devices));
    if (!(o.duration > 0) || !std::isfinite(o.duration)) fail(at + " has duration " + std::to_string(o.duration));
  }
  std::set<std::pair<size_t, int64_t>> busy;
  std::vector<int> pinned_cover(jobs.size(), 0);
  for (const auto& pin : pinned) {
    if (pin.option >= options.size()) fail("a pinned option is option " + std::to_string(pin.option));
    const auto& o = options[pin.option];
    std::string at = "pinned option " + std::to_string(pin.option);
    if (static_cast<int64_t>(pin.device_ids.size()) != o.devices)
      fail(at + " names " + std::to_string(pin.device_ids.size()) + " devices, needs " + std::to_string(o.devices));
    for (int64_t d : pin.device_ids) {
      if (d < 0 || d >= nodes[o.node].devices) fail(at + " names device " + std::to_string(d));
      if (!busy.insert({o.node, d}).second) fail(at + ": device " + std::to_string(d) + " is taken twice");
    }
    if (!(pin.remaining >= 0) || !std::isfinite(pin.remaining)) fail(at + " has remaining " + std::to_string(pin.remaining));
    for (size_t j : o.jobs)
      if (pinned_cover[j]++) fail("job " + jobs[j] + " is pinned twice");
  }
  for (size_t j = 0; j < jobs.size(); ++j)
    if (!covered[j]) fail("no strategy can run job " + jobs[j]);
}

PlanProblem prune_dominated(const PlanProblem& p, std::vector<size_t>* kept_out) {
  std::vector<bool> is_pinned(p.options.size(), false);
  for (const auto& pin : p.pinned) is_pinned[pin.option] = true;
  // Group by (node, covered jobs).
  std::map<std::pair<size_t, std::vector<size_t>>, std::vector<size_t>> groups;
  for (size_t i = 0; i < p.options.size(); ++i) groups[{p.options[i].node, p.options[i].jobs}].push_back(i);
  std::vector<bool> keep(p.options.size(), false);
  for (auto& [key, ids] : groups) {
    for (size_t i : ids) {
      if (is_pinned[i]) { keep[i] = true; continue; }
      const auto& a = p.options[i];
      bool dominated = false;
      for (size_t k : ids) {
        if (k == i) continue;
        const auto& b = p.options[k];
        bool no_worse = b.devices <= a.devices && b.duration <= a.duration;
        bool better = b.devices < a.devices || b.duration < a.duration;
        if (no_worse && (better || k < i)) { dominated = true; break; }
      }
      keep[i] = !dominated;
    }
  }
  PlanProblem out;
  out.jobs = p.jobs;
  out.nodes = p.nodes;
  std::vector<size_t> index(p.options.size(), SIZE_MAX), kept;
  for (size_t i = 0; i < p.options.size(); ++i)
    if (keep[i]) { index[i] = out.options.size(); out.options.push_back(p.options[i]); kept.push_back(i); }
  for (auto pin : p.pinned) { pin.option = index[pin.option]; out.pinned.push_back(pin); }
  if (kept_out) *kept_out = kept;
  return out;
}

double Plan::gap() const { return makespan > 0 ? std::max(0.0, (makespan - bound) / makespan) : 0.0; }

void finish_plan(Plan& plan, const PlanProblem& p) {
  for (auto& a : plan.items) std::sort(a.device_ids.begin(), a.device_ids.end());
  std::sort(plan.items.begin(), plan.items.end(), [&](const Assignment& a, const Assignment& b) {
    size_t na = p.options[a.option].node, nb = p.options[b.option].node;
    if (a.start != b.start) return a.start < b.start;
    if (na != nb) return na < nb;
    return a.device_ids < b.device_ids;
  });
  plan.makespan = 0;
  for (const auto& a : plan.items) plan.makespan = std::max(plan.makespan, a.end);
}

size_t planned_jobs(const Plan& plan, const PlanProblem& p) {
  size_t n = 0;
  for (const auto& a : plan.items) n += p.options[a.option].jobs.size();
  return n;
}

}  // namespace saturn
