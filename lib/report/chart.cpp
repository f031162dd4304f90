#include "report/chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace saturn {

double Scale::operator()(double v) const {
  double a = lo, b = hi, x = v;
  if (log) {
    a = std::log10(lo);
    b = std::log10(hi);
    x = v > 0 ? std::log10(v) : a - (b - a);  // zero or below: off the bottom
  }
  const double f = b > a ? (x - a) / (b - a) : 0.5;
  return px_lo + f * (px_hi - px_lo);
}

namespace {
// The fewest decimals that tell multiples of `step` apart.
int decimals_for(double step) {
  if (!(step > 0)) return 0;
  int d = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  while (d < 12 && std::fabs(std::round(step * std::pow(10, d)) - step * std::pow(10, d)) > 1e-6) ++d;
  return d;
}
}  // namespace

std::string tick_label(double v, double step) {
  char buf[40];
  const double a = std::fabs(v);
  if (a == 0) return "0";
  if (a >= 1e4) {
    const char* unit = a >= 1e9 ? "G" : a >= 1e6 ? "M" : "k";
    const double div = a >= 1e9 ? 1e9 : a >= 1e6 ? 1e6 : 1e3;
    std::snprintf(buf, sizeof buf, "%.*f%s", decimals_for(step / div), v / div, unit);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.*f", decimals_for(step), v);
  return buf;
}

Axis nice_axis(double lo, double hi, int max_ticks) {
  max_ticks = std::max(2, max_ticks);
  if (!(lo <= hi)) std::swap(lo, hi);
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  double span = hi - lo;
  if (span <= 0) span = lo != 0 ? std::fabs(lo) * 0.1 : 1;
  if (lo < 0 && hi > 0) max_ticks = std::max(3, max_ticks);  // a range across 0 needs a tick on each side of it
  // The smallest 1-2-5 step whose whole-step range has at most max_ticks ticks.
  double step = 0;
  bool fits = false;
  for (double p = std::pow(10, std::floor(std::log10(span / (max_ticks - 1)))); !fits && std::isfinite(p); p *= 10)
    for (double m : {1.0, 2.0, 5.0}) {
      step = m * p;
      const double a = std::floor(lo / step + 1e-9) * step, b = std::ceil(hi / step - 1e-9) * step;
      if (std::max(1L, std::lround((b - a) / step)) + 1 <= max_ticks) {
        fits = true;
        break;
      }
    }
  Axis ax;
  ax.lo = std::floor(lo / step + 1e-9) * step;
  ax.hi = std::ceil(hi / step - 1e-9) * step;
  if (ax.hi <= ax.lo) {  // one value: a step each way
    ax.lo -= step;
    ax.hi += step;
  }
  for (long i = 0, n = std::lround((ax.hi - ax.lo) / step); i <= n; ++i) {
    const double v = ax.lo + static_cast<double>(i) * step;
    ax.ticks.push_back({std::fabs(v) < step * 1e-9 ? 0.0 : v, tick_label(v, step)});
  }
  return ax;
}

Axis log_axis(double lo, double hi) {
  if (!(lo > 0)) lo = hi > 0 ? hi / 10 : 1;
  if (!(hi > lo)) hi = lo * 10;
  Axis ax;
  const int a = static_cast<int>(std::floor(std::log10(lo) + 1e-9)), b = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  ax.lo = std::pow(10, a);
  ax.hi = std::pow(10, std::max(b, a + 1));
  const bool between = std::max(b, a + 1) - a < 3;
  for (int e = a; e <= std::max(b, a + 1); ++e) {
    const double p = std::pow(10, e);
    ax.ticks.push_back({p, tick_label(p, e < 0 ? p : 1)});
    if (between && e < std::max(b, a + 1))
      for (double m : {2.0, 5.0}) ax.ticks.push_back({m * p, tick_label(m * p, e < 0 ? p : 1)});
  }
  return ax;
}

bool wants_log(const std::vector<double>& values) {
  double lo = INFINITY, hi = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    if (v <= 0) return false;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  return hi > 0 && hi > 30 * lo;
}

std::vector<Point> thin(const std::vector<Point>& points, size_t max_points) {
  max_points = std::max<size_t>(3, max_points);
  if (points.size() <= max_points) return points;
  std::vector<Point> out;
  out.reserve(max_points);
  out.push_back(points.front());
  const size_t buckets = max_points - 2;
  const double size = static_cast<double>(points.size() - 2) / static_cast<double>(buckets);
  size_t chosen = 0;
  for (size_t k = 0; k < buckets; ++k) {
    const auto from = static_cast<size_t>(std::floor(static_cast<double>(k) * size)) + 1;
    const auto to = std::min(points.size() - 1, static_cast<size_t>(std::floor(static_cast<double>(k + 1) * size)) + 1);
    // The next bucket's mean (the last point for the last bucket).
    const auto nfrom = to, nto = std::min(points.size(), static_cast<size_t>(std::floor(static_cast<double>(k + 2) * size)) + 1);
    Point next{0, 0};
    if (k + 1 == buckets || nto <= nfrom) {
      next = points.back();
    } else {
      for (size_t i = nfrom; i < nto; ++i) next.x += points[i].x, next.y += points[i].y;
      next.x /= static_cast<double>(nto - nfrom);
      next.y /= static_cast<double>(nto - nfrom);
    }
    const Point& a = points[chosen];
    double best = -1;
    size_t pick = from;
    for (size_t i = from; i < to; ++i) {
      const double area = std::fabs((a.x - next.x) * (points[i].y - a.y) - (a.x - points[i].x) * (next.y - a.y));
      if (area > best) best = area, pick = i;
    }
    out.push_back(points[pick]);
    chosen = pick;
  }
  out.push_back(points.back());
  return out;
}

}  // namespace saturn
