#include "plan/bounds.h"

#include <algorithm>
#include <ClpSimplex.hpp>
#include <CoinPackedMatrix.hpp>
#include <limits>
#include <vector>

#include "core/error.h"

namespace saturn {

double Bounds::best() const { return std::max({area, longest, lp}); }

Bounds lower_bounds(const PlanProblem& p) {
  Bounds b;
  auto pinned = p.pinned_jobs();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> job_area(p.jobs.size(), inf), job_time(p.jobs.size(), inf);
  const std::vector<size_t> cols = p.free_options();
  for (size_t o : cols) {
    const auto& opt = p.options[o];
    double share = opt.duration * static_cast<double>(opt.devices) / static_cast<double>(opt.jobs.size());
    for (size_t j : opt.jobs) {
      job_area[j] = std::min(job_area[j], share);
      job_time[j] = std::min(job_time[j], opt.duration);
    }
  }
  double area = 0;
  std::vector<double> pinned_area(p.nodes.size(), 0);
  for (const auto& pin : p.pinned) {
    const auto& opt = p.options[pin.option];
    pinned_area[opt.node] += pin.remaining * static_cast<double>(opt.devices);
    area += pin.remaining * static_cast<double>(opt.devices);
    b.longest = std::max(b.longest, pin.remaining);
  }
  for (size_t j = 0; j < p.jobs.size(); ++j) {
    if (pinned[j] || std::isinf(job_area[j])) continue;
    area += job_area[j];
    b.longest = std::max(b.longest, job_time[j]);
  }
  b.area = p.total_devices() > 0 ? area / static_cast<double>(p.total_devices()) : 0;

  // Configuration LP. Columns: y_o for the free options, then C.
  if (cols.empty()) {
    b.lp = 0;
    return b;
  }
  const int n = static_cast<int>(cols.size());
  const int c_col = n;
  std::vector<double> lo(n + 1, 0.0), hi(n + 1, 1.0), obj(n + 1, 0.0);
  hi[c_col] = COIN_DBL_MAX;
  lo[c_col] = std::max(b.area, b.longest);
  obj[c_col] = 1.0;
  CoinPackedMatrix m(false, 0, 0);  // row-ordered
  m.setDimensions(0, n + 1);
  std::vector<double> row_lo, row_hi;
  auto add_row = [&](const std::vector<int>& idx, const std::vector<double>& val, double lo_, double hi_) {
    m.appendRow(static_cast<int>(idx.size()), idx.data(), val.data());
    row_lo.push_back(lo_);
    row_hi.push_back(hi_);
  };
  // Cover: sum of y over options covering j = 1; duration: sum dur*y - C <= 0.
  std::vector<std::vector<int>> by_job(p.jobs.size());
  for (int c = 0; c < n; ++c)
    for (size_t j : p.options[cols[c]].jobs) by_job[j].push_back(c);
  for (size_t j = 0; j < p.jobs.size(); ++j) {
    if (pinned[j] || by_job[j].empty()) continue;
    add_row(by_job[j], std::vector<double>(by_job[j].size(), 1.0), 1.0, 1.0);
    std::vector<int> idx = by_job[j];
    std::vector<double> val;
    for (int c : idx) val.push_back(p.options[cols[c]].duration);
    idx.push_back(c_col);
    val.push_back(-1.0);
    add_row(idx, val, -COIN_DBL_MAX, 0.0);
  }
  // Area per node: sum devices*dur*y - devices*C <= -pinned area.
  for (size_t node = 0; node < p.nodes.size(); ++node) {
    std::vector<int> idx;
    std::vector<double> val;
    for (int c = 0; c < n; ++c) {
      const auto& opt = p.options[cols[c]];
      if (opt.node != node) continue;
      idx.push_back(c);
      val.push_back(opt.duration * static_cast<double>(opt.devices));
    }
    idx.push_back(c_col);
    val.push_back(-static_cast<double>(p.nodes[node].devices));
    add_row(idx, val, -COIN_DBL_MAX, -pinned_area[node]);
  }
  ClpSimplex lp;
  lp.setLogLevel(0);
  try {
    lp.loadProblem(m, lo.data(), hi.data(), obj.data(), row_lo.data(), row_hi.data());
    lp.dual();
  } catch (const CoinError& e) {
    throw internal_error("planner: Clp failed in " + e.className() + "::" + e.methodName() + ": " + e.message());
  }
  if (!lp.isProvenOptimal()) throw internal_error("planner: the configuration LP did not solve (Clp status " +
                                                  std::to_string(lp.status()) + ")");
  b.lp = lp.objectiveValue() * (1 - 1e-9);
  return b;
}

}  // namespace saturn
