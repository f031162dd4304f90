// Timelines for the run report: the planned-vs-actual chart (one lane per
// device on one time axis; with plans, each lane has a "plan" row of the
// bars in effect above a "ran" row of the attempts; a fused group's members
// share their lane's row as thin stripes), and the event strip (one mark
// per event on the same axis). Bars and marks carry CSS classes and data-
// attributes (data-job, data-kind, data-attempt) and a tooltip; colours
// come from the Okabe-Ito palette (report/line_chart.h). Pure.
#pragma once

#include <string>
#include <vector>

#include "report/report_data.h"

namespace saturn {

struct TimelineChart {
  std::string title;
  std::vector<std::string> lanes;
  std::vector<ReportBar> planned;  // empty: one row per lane
  std::vector<ReportBar> ran;
  double end = 0;                  // the axis runs 0..end (at least the last bar's end)
  double width = 960;
};
std::string timeline_svg(const TimelineChart& c);

// The colour of a bar's kind, and the kinds in legend order.
const char* bar_colour(const std::string& kind);
const std::vector<std::string>& bar_kinds();

struct EventStrip {
  std::string title;
  std::vector<ReportEvent> events;
  double end = 0;
  double width = 960;
};
std::string event_strip_svg(const EventStrip& s);

// Horizontal bars, one per (label, seconds), on a duration axis from 0:
// the makespan against the plan's prediction and its bound.
std::string duration_bars_svg(const std::string& title, const std::vector<std::pair<std::string, double>>& bars,
                              double width = 640);

}  // namespace saturn
