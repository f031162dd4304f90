#include "plan/timeline.h"

#include <algorithm>
#include <limits>

namespace saturn {

namespace {
constexpr double kEps = 1e-9;
}

Timeline::Timeline(const PlanProblem& p) : p_(&p) {
  busy_.resize(p.nodes.size());
  for (size_t n = 0; n < p.nodes.size(); ++n) busy_[n].resize(p.nodes[n].devices);
  for (const auto& pin : p.pinned) {
    Assignment a;
    a.option = pin.option;
    a.device_ids = pin.device_ids;
    a.start = 0;
    a.end = pin.remaining;
    a.pinned = true;
    size_t node = p.options[pin.option].node;
    for (int64_t d : pin.device_ids) busy_[node][d].push_back({0, pin.remaining});
    makespan_ = std::max(makespan_, a.end);
    items_.push_back(std::move(a));
  }
}

bool Timeline::free_during(size_t node, int64_t d, double start, double end) const {
  const auto& spans = busy_[node][d];
  // First span ending after `start`: it must begin at or after `end`.
  auto it = std::upper_bound(spans.begin(), spans.end(), start + kEps,
                             [](double t, const Span& s) { return t < s.end; });
  return it == spans.end() || it->start >= end - kEps;
}

double Timeline::find(size_t node, int64_t devices, double duration, double not_before,
                      std::vector<int64_t>* ids) const {
  const auto& devs = busy_[node];
  // Candidate starts: not_before and every span end after it. The latest of
  // the per-device "free from" times (k-th smallest) always works.
  std::vector<double> cands{not_before};
  std::vector<double> last_end;
  for (const auto& spans : devs) {
    last_end.push_back(spans.empty() ? 0 : spans.back().end);
    for (const auto& s : spans)
      if (s.end > not_before) cands.push_back(s.end);
  }
  std::vector<double> sorted_last = last_end;
  std::sort(sorted_last.begin(), sorted_last.end());
  double append = std::max(not_before, sorted_last[devices - 1]);
  std::sort(cands.begin(), cands.end());
  cands.erase(std::unique(cands.begin(), cands.end()), cands.end());
  for (double t : cands) {
    if (t > append) t = append;
    std::vector<std::pair<double, int64_t>> fit;  // (-free since, id)
    for (int64_t d = 0; d < static_cast<int64_t>(devs.size()); ++d) {
      if (!free_during(node, d, t, t + duration)) continue;
      // When did d become free before t (best fit: latest first)?
      double since = 0;
      for (const auto& s : devs[d])
        if (s.end <= t + kEps) since = std::max(since, s.end);
      fit.push_back({-since, d});
    }
    if (static_cast<int64_t>(fit.size()) >= devices) {
      std::sort(fit.begin(), fit.end());
      if (ids) {
        ids->clear();
        for (int64_t k = 0; k < devices; ++k) ids->push_back(fit[k].second);
        std::sort(ids->begin(), ids->end());
      }
      return t;
    }
    if (t >= append) break;
  }
  return std::numeric_limits<double>::infinity();  // unreachable: `append` always fits
}

double Timeline::earliest_start(size_t o, double not_before) const {
  const auto& opt = p_->options[o];
  return find(opt.node, opt.devices, opt.duration, not_before, nullptr);
}

const Assignment& Timeline::place(size_t o, double not_before) {
  const auto& opt = p_->options[o];
  Assignment a;
  a.option = o;
  a.start = find(opt.node, opt.devices, opt.duration, not_before, &a.device_ids);
  a.end = a.start + opt.duration;
  for (int64_t d : a.device_ids) {
    auto& spans = busy_[opt.node][d];
    Span s{a.start, a.end};
    spans.insert(std::upper_bound(spans.begin(), spans.end(), s, [](const Span& x, const Span& y) { return x.start < y.start; }), s);
  }
  makespan_ = std::max(makespan_, a.end);
  items_.push_back(std::move(a));
  return items_.back();
}

Plan Timeline::plan() const {
  Plan plan;
  plan.items = items_;
  finish_plan(plan, *p_);
  return plan;
}

}  // namespace saturn
