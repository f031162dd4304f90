// The run report as one self-contained HTML page (inline CSS, SVG and a
// little script; no network, no fonts to fetch; everything readable with
// script off, the script only sorts and pages the tables), and the same
// charts as standalone SVG files. Light and dark (prefers-color-scheme);
// Okabe-Ito colours. Pure: ReportData in, text out.
#pragma once

#include <string>
#include <vector>

#include "report/report_data.h"

namespace saturn {

struct ReportChart {
  std::string name;  // file stem, e.g. "loss-gpt-valid-step", "timeline", "utilisation"
  std::string svg;   // a standalone <svg> document
  std::string model; // a loss chart's model; "" for the run's charts
};

// Every chart of the page, in page order: per model the training and
// validation loss against step and against time, the planned-vs-actual
// timeline, each plan version (when there are several), utilisation, the
// makespan against the plan, the events.
std::vector<ReportChart> report_charts(const ReportData& r);

// The page. Tables page `page_rows` rows at a time (with script).
std::string report_html(const ReportData& r, size_t page_rows = 50);

}  // namespace saturn
