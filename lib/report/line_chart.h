// Line charts for the run report: several series over shared axes (nice or
// log10 ticks from report/chart.h), each series thinned to what the chart
// can show, the highlighted ones drawn last and thicker. Colours are the
// Okabe-Ito palette (told apart with colour-blindness); lines, axes and text
// carry CSS classes (series, best, axis, grid, label) so a page can restyle
// them (dark mode). Pure: plain data in, one <svg> element out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/chart.h"

namespace saturn {

struct Series {
  std::string name;          // shown in its tooltip; data-name on its path
  std::vector<Point> points; // x ascending
  bool highlight = false;    // the best: drawn last, thicker
  size_t colour = 0;         // palette index (wraps)
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  bool x_duration = false;        // x ticks as durations (seconds -> "1m 30s")
  std::optional<bool> log_y;      // unset: log when it helps (wants_log)
  double width = 640, height = 320;
  size_t max_points = 400;        // per series, after thinning
  bool markers = false;           // a dot at each point too (sparse series: validation losses)
  // A legend on the title's line, right-aligned: each series with its
  // colour when there are at most three, else the highlighted ones and how
  // many others (each line still names itself on hover).
  bool legend = false;
};

// The chart as an <svg> element (with xmlns, so it is also a file); a chart
// with no points says so in its plot area.
std::string line_chart_svg(const LineChart& c);

// The palette's colour `i` (wraps).
const char* palette(size_t i);

}  // namespace saturn
