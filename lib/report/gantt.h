// Gantt charts of a plan: one lane per device, one bar per job (a job on
// several devices has a bar on each). Text for the terminal, SVG for files.
// Plain functions of plain data; no knowledge of plans.
#pragma once

#include <string>
#include <vector>

#include "report/terminal.h"

namespace saturn {

struct GanttBar {
  size_t lane = 0;         // index into the lanes
  double start = 0, end = 0;
  std::string label;       // job id (SVG text and tooltip)
  std::string group;       // bars of one group share a colour (e.g. the shape)
  std::string detail;      // tooltip line (strategy, times)
};

struct Gantt {
  std::vector<std::string> lanes;   // "p4d-0:3"
  std::vector<GanttBar> bars;
  double makespan = 0;
  std::string title;
};

// Text chart `width` columns wide: lanes as rows, each bar drawn with its
// job's symbol (a-z, A-Z, 0-9, then '#'), a time axis and a legend of
// symbols. Returns "" (nothing to draw) when there are no bars.
std::string gantt_text(const Gantt& g, const Terminal& term, int width);

// A standalone SVG document.
std::string gantt_svg(const Gantt& g);

}  // namespace saturn
