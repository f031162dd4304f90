#include "report/timeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "core/units.h"
#include "report/html.h"
#include "report/line_chart.h"

namespace saturn {
namespace {

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

struct Frame {
  double left = 120, right = 16, top = 28;
  double pw = 0;
  Scale sx;
};

Frame frame(double width, double end) {
  Frame f;
  f.pw = std::max(100.0, width - f.left - f.right);
  const Axis a = nice_axis(0, end > 0 ? end : 1, std::max(3, static_cast<int>(f.pw / 90)));
  f.sx = Scale{a.lo, a.hi, f.left, f.left + f.pw, false};
  return f;
}

// The time axis under a plot from y0 to y1.
void time_axis(std::ostringstream& o, const Frame& f, double y0, double y1) {
  const Axis a = nice_axis(f.sx.lo, f.sx.hi, std::max(3, static_cast<int>(f.pw / 90)));
  for (const auto& t : a.ticks) {
    const double x = f.sx(t.value);
    o << "<line class=\"grid\" x1=\"" << num(x) << "\" x2=\"" << num(x) << "\" y1=\"" << num(y0) << "\" y2=\"" << num(y1)
      << "\" stroke=\"#eee\"/><text class=\"axis\" x=\"" << num(x) << "\" y=\"" << num(y1 + 14)
      << "\" text-anchor=\"middle\">" << html_escape(t.value == 0 ? "0" : human_duration(t.value)) << "</text>";
  }
}

void open_svg(std::ostringstream& o, const std::string& cls, double w, double h, const std::string& title) {
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart " << cls << "\" viewBox=\"0 0 " << num(w) << " " << num(h)
    << "\" width=\"" << num(w) << "\" height=\"" << num(h) << "\" font-family=\"sans-serif\" font-size=\"11\"><title>"
    << html_escape(title) << "</title><text class=\"label\" x=\"8\" y=\"16\" font-size=\"13\" font-weight=\"bold\">"
    << html_escape(title) << "</text>";
}

void bar_rect(std::ostringstream& o, const ReportBar& b, const Frame& f, double y, double h) {
  const double x0 = f.sx(b.start), x1 = std::max(f.sx(b.end), x0 + 1.5);
  const double sh = h / static_cast<double>(std::max<size_t>(1, b.slots));
  const double sy = y + sh * static_cast<double>(std::min(b.slot, std::max<size_t>(1, b.slots) - 1));
  o << "<rect class=\"bar " << html_escape(b.kind) << "\" data-job=\"" << html_escape(b.job) << "\" data-kind=\""
    << html_escape(b.kind) << "\" data-lane=\"" << html_escape(b.lane) << "\"";
  if (b.attempt) o << " data-attempt=\"" << b.attempt << "\"";
  if (b.version) o << " data-plan=\"" << b.version << "\"";
  o << " x=\"" << num(x0) << "\" y=\"" << num(sy + 0.5) << "\" width=\"" << num(x1 - x0) << "\" height=\""
    << num(std::max(1.0, sh - 1)) << "\" fill=\"" << bar_colour(b.kind) << "\""
    << (b.kind == "planned" ? " fill-opacity=\"0.35\" stroke=\"#0072B2\" stroke-width=\"0.8\""
                            : " stroke=\"#ffffff\" stroke-width=\"0.6\"")  // attempts that abut stay apart
    << "><title>"
    << html_escape(b.job + (b.attempt ? " (attempt " + std::to_string(b.attempt) + ")" : "") + ": " + b.kind + ", " +
                   human_duration(b.start) + " to " + human_duration(b.end) + (b.detail.empty() ? "" : "; " + b.detail))
    << "</title></rect>";
}

}  // namespace

const std::vector<std::string>& bar_kinds() {
  static const std::vector<std::string> k = {"planned", "done",    "paused",  "early-stop", "running", "preempted",
                                             "stopped", "stalled", "failed", "diverged",   "lost",  "measure"};
  return k;
}

const char* bar_colour(const std::string& kind) {
  static const std::map<std::string, const char*> c = {
      {"planned", "#56B4E9"}, {"done", "#0072B2"},      {"paused", "#56B4E9"},  {"early-stop", "#009E73"},
      {"running", "#F0E442"}, {"preempted", "#E69F00"}, {"stopped", "#999999"}, {"stalled", "#CC79A7"},
      {"failed", "#D55E00"},  {"diverged", "#D55E00"},  {"lost", "#444444"},    {"measure", "#000000"}};
  const auto it = c.find(kind);
  return it == c.end() ? "#999999" : it->second;
}

std::string timeline_svg(const TimelineChart& c) {
  double end = c.end;
  for (const auto* bars : {&c.planned, &c.ran})
    for (const auto& b : *bars) end = std::max(end, b.end);
  const Frame f = frame(c.width, end);
  const bool two = !c.planned.empty();
  const double row = 18, gap = two ? 8 : 4, lane_h = (two ? 2 * row : row) + gap;
  const double plot_h = lane_h * static_cast<double>(c.lanes.size());
  const double legend_y = f.top + plot_h + 34;
  const double h = legend_y + 16;
  std::ostringstream o;
  open_svg(o, "timeline", c.width, h, c.title);
  std::map<std::string, size_t> lane_of;
  for (size_t i = 0; i < c.lanes.size(); ++i) lane_of[c.lanes[i]] = i;
  time_axis(o, f, f.top, f.top + plot_h);
  for (size_t i = 0; i < c.lanes.size(); ++i) {
    const double y = f.top + lane_h * static_cast<double>(i);
    o << "<text class=\"label\" x=\"" << num(f.left - 8) << "\" y=\"" << num(y + row * (two ? 1.0 : 0.5) + 4)
      << "\" text-anchor=\"end\">" << html_escape(c.lanes[i]) << "</text>";
    if (two)
      o << "<text class=\"axis\" x=\"" << num(f.left - 8) << "\" y=\"" << num(y + 10) << "\" text-anchor=\"end\" font-size=\"9\">plan</text>"
        << "<text class=\"axis\" x=\"" << num(f.left - 8) << "\" y=\"" << num(y + row + 14)
        << "\" text-anchor=\"end\" font-size=\"9\">ran</text>";
    o << "<line class=\"grid\" x1=\"" << num(f.left) << "\" x2=\"" << num(f.left + f.pw) << "\" y1=\"" << num(y + lane_h - gap / 2)
      << "\" y2=\"" << num(y + lane_h - gap / 2) << "\" stroke=\"#ddd\"/>";
  }
  auto draw = [&](const std::vector<ReportBar>& bars, double offset) {
    for (const auto& b : bars) {
      const auto it = lane_of.find(b.lane);
      if (it == lane_of.end()) continue;
      bar_rect(o, b, f, f.top + lane_h * static_cast<double>(it->second) + offset, row);
    }
  };
  o << "<g class=\"planned\">";
  draw(c.planned, 0);
  o << "</g><g class=\"ran\">";
  draw(c.ran, two ? row : 0);
  o << "</g>";
  // Legend: the kinds drawn.
  double x = f.left;
  for (const auto& k : bar_kinds()) {
    bool used = false;
    for (const auto* bars : {&c.planned, &c.ran})
      for (const auto& b : *bars) used = used || b.kind == k;
    if (!used) continue;
    o << "<rect x=\"" << num(x) << "\" y=\"" << num(legend_y - 9) << "\" width=\"10\" height=\"10\" fill=\"" << bar_colour(k)
      << "\"" << (k == "planned" ? " fill-opacity=\"0.35\" stroke=\"#0072B2\"" : "") << "/><text class=\"label\" x=\""
      << num(x + 14) << "\" y=\"" << num(legend_y) << "\">" << k << "</text>";
    x += 24 + 6.5 * static_cast<double>(k.size());
  }
  if (c.lanes.empty())
    o << "<text class=\"label\" x=\"" << num(f.left + f.pw / 2) << "\" y=\"" << num(f.top + 12)
      << "\" text-anchor=\"middle\">no data</text>";
  o << "</svg>";
  return o.str();
}

std::string event_strip_svg(const EventStrip& s) {
  double end = s.end;
  for (const auto& e : s.events) end = std::max(end, e.time);
  const Frame f = frame(s.width, end);
  // One row per kind, in order of first appearance.
  std::vector<std::string> kinds;
  for (const auto& e : s.events)
    if (std::find(kinds.begin(), kinds.end(), e.kind) == kinds.end()) kinds.push_back(e.kind);
  const double row = 14, plot_h = std::max(1.0, static_cast<double>(kinds.size())) * row;
  std::ostringstream o;
  open_svg(o, "events", s.width, f.top + plot_h + 24, s.title);
  time_axis(o, f, f.top, f.top + plot_h);
  for (size_t k = 0; k < kinds.size(); ++k)
    o << "<text class=\"label\" x=\"" << num(f.left - 8) << "\" y=\"" << num(f.top + row * static_cast<double>(k) + 10)
      << "\" text-anchor=\"end\">" << html_escape(kinds[k]) << "</text>";
  for (const auto& e : s.events) {
    const size_t k = static_cast<size_t>(std::find(kinds.begin(), kinds.end(), e.kind) - kinds.begin());
    const double x = f.sx(e.time), y = f.top + row * static_cast<double>(k);
    o << "<rect class=\"event\" data-kind=\"" << html_escape(e.kind) << "\" data-job=\"" << html_escape(e.job) << "\" x=\""
      << num(x - 1) << "\" y=\"" << num(y + 2) << "\" width=\"3\" height=\"" << num(row - 4) << "\" fill=\""
      << palette(k) << "\"><title>" << html_escape(human_duration(e.time) + " " + e.kind + (e.job.empty() ? "" : " " + e.job) +
                                                   ": " + e.message)
      << "</title></rect>";
  }
  if (s.events.empty())
    o << "<text class=\"label\" x=\"" << num(f.left + f.pw / 2) << "\" y=\"" << num(f.top + 10)
      << "\" text-anchor=\"middle\">no events</text>";
  o << "</svg>";
  return o.str();
}

std::string duration_bars_svg(const std::string& title, const std::vector<std::pair<std::string, double>>& bars,
                              double width) {
  double end = 0;
  for (const auto& [_, v] : bars) end = std::max(end, v);
  const Frame f = frame(width, end);
  const double row = 22, plot_h = row * static_cast<double>(bars.size());
  std::ostringstream o;
  open_svg(o, "durations", width, f.top + plot_h + 24, title);
  time_axis(o, f, f.top, f.top + plot_h);
  for (size_t i = 0; i < bars.size(); ++i) {
    const double y = f.top + row * static_cast<double>(i);
    o << "<text class=\"label\" x=\"" << num(f.left - 8) << "\" y=\"" << num(y + 15) << "\" text-anchor=\"end\">"
      << html_escape(bars[i].first) << "</text><rect class=\"bar\" x=\"" << num(f.left) << "\" y=\"" << num(y + 3)
      << "\" width=\"" << num(std::max(1.0, f.sx(bars[i].second) - f.left)) << "\" height=\"" << num(row - 6)
      << "\" fill=\"" << palette(i) << "\"><title>" << html_escape(bars[i].first + ": " + human_duration(bars[i].second))
      << "</title></rect><text class=\"label\" x=\"" << num(std::max(f.sx(bars[i].second), f.left) + 4) << "\" y=\""
      << num(y + 15) << "\">" << html_escape(human_duration(bars[i].second)) << "</text>";
  }
  o << "</svg>";
  return o.str();
}

}  // namespace saturn
