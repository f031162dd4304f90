#include "step_timing.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace saturn {

StepTiming judge_steps(const std::vector<double>& times, const StepTimingOptions& o) {
  StepTiming t;
  t.error = 1;
  const auto n = static_cast<int64_t>(times.size());
  if (n == 0) return t;
  std::vector<double> s = times;
  std::sort(s.begin(), s.end());
  t.median = n % 2 ? s[static_cast<size_t>(n / 2)] : (s[static_cast<size_t>(n / 2 - 1)] + s[static_cast<size_t>(n / 2)]) / 2;
  // Ranks (1-based) of the order statistics that bracket the median at 95%.
  const double half = 0.98 * std::sqrt(static_cast<double>(n));
  const auto lo = std::clamp<int64_t>(static_cast<int64_t>(std::floor(n / 2.0 - half)), 1, n);
  const auto hi = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(1 + n / 2.0 + half)), 1, n);
  if (t.median > 0) t.error = (s[static_cast<size_t>(hi - 1)] - s[static_cast<size_t>(lo - 1)]) / 2 / t.median;
  const double seconds = std::accumulate(times.begin(), times.end(), 0.0);
  t.done = (n >= o.min_steps && t.error <= o.precision) || n >= o.max_steps || seconds >= o.max_seconds;
  return t;
}

}  // namespace saturn
