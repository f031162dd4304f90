// Chart geometry for the run report (HTML and SVG): data-to-pixel scales
// (linear or log10), "nice" ticks (1, 2 or 5 x 10^k) with short labels, when
// a log scale helps, and thinning a series to what a chart can show while
// keeping its shape (largest-triangle-three-buckets). Pure functions of
// plain data; no drawing.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace saturn {

struct Scale {
  double lo = 0, hi = 1;        // data range (log: both above 0)
  double px_lo = 0, px_hi = 1;  // where lo and hi land (a y axis: px_lo below px_hi on screen, so larger)
  bool log = false;
  double operator()(double v) const;  // pixels; values outside the range map outside the pixel range
};

struct Tick {
  double value = 0;
  std::string label;
};

// At most max_ticks (>= 2; 3 when the range spans 0) ticks at a 1-2-5 step covering [lo, hi], the
// range widened to whole steps first (so the axis starts and ends on a
// tick). lo == hi widens by one step each way.
struct Axis {
  double lo = 0, hi = 1;
  std::vector<Tick> ticks;
};
Axis nice_axis(double lo, double hi, int max_ticks);
// Log10 axis over [lo, hi] (both > 0): powers of ten, with 2 and 5 between
// them when there are fewer than three powers.
Axis log_axis(double lo, double hi);

// A tick's label: the fewest decimals that tell ticks `step` apart; 1e4 and
// above as 12k, 1.5M.
std::string tick_label(double v, double step);

// A log scale helps: every value above 0 and the largest over 30 times the smallest.
bool wants_log(const std::vector<double>& values);

struct Point {
  double x = 0, y = 0;
};
// The series with at most max_points (>= 3) points: the first and the last,
// and from each of the buckets between, the point that makes the largest
// triangle with its neighbours' choices. A series that fits is returned whole.
std::vector<Point> thin(const std::vector<Point>& points, size_t max_points);

}  // namespace saturn
