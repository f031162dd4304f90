#include "report/line_chart.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/units.h"
#include "report/html.h"

namespace saturn {

const char* palette(size_t i) {
  static const char* c[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"};
  return c[i % (sizeof(c) / sizeof(c[0]))];
}

namespace {
std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}
}  // namespace

std::string line_chart_svg(const LineChart& c) {
  const double left = 60, right = 16, top = 28, bottom = 44;
  const double pw = std::max(50.0, c.width - left - right), ph = std::max(50.0, c.height - top - bottom);
  double x0 = INFINITY, x1 = -INFINITY;
  std::vector<double> ys;
  for (const auto& s : c.series)
    for (const auto& p : s.points)
      if (std::isfinite(p.x) && std::isfinite(p.y)) {
        x0 = std::min(x0, p.x);
        x1 = std::max(x1, p.x);
        ys.push_back(p.y);
      }
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 " << num(c.width) << " " << num(c.height)
    << "\" width=\"" << num(c.width) << "\" height=\"" << num(c.height) << "\" font-family=\"sans-serif\" font-size=\"11\">";
  o << "<title>" << html_escape(c.title) << "</title>";
  o << "<text class=\"label\" x=\"" << num(left) << "\" y=\"16\" font-size=\"13\" font-weight=\"bold\">" << html_escape(c.title)
    << "</text>";
  if (c.legend && !c.series.empty()) {
    std::vector<const Series*> named;
    size_t others = 0;
    for (const auto& s : c.series) {
      if (c.series.size() <= 3 || s.highlight) named.push_back(&s);
      else ++others;
    }
    o << "<text class=\"legend\" x=\"" << num(c.width - 8) << "\" y=\"16\" text-anchor=\"end\">";
    for (const Series* s : named)
      o << "<tspan fill=\"" << palette(s->colour) << "\">\u25A0</tspan><tspan class=\"label\"> " << html_escape(s->name)
        << (s->highlight && c.series.size() > 1 ? " (best)" : "") << "  </tspan>";
    if (others > 0)
      o << "<tspan class=\"label\">" << others << (named.empty() ? "" : " more") << (others == 1 ? " job" : " jobs")
        << " (thin; hover a line for its name)</tspan>";
    o << "</text>";
  }
  if (ys.empty()) {
    o << "<text class=\"label\" x=\"" << num(left + pw / 2) << "\" y=\"" << num(top + ph / 2)
      << "\" text-anchor=\"middle\">no data</text></svg>";
    return o.str();
  }
  const auto [ylo, yhi] = std::minmax_element(ys.begin(), ys.end());
  const bool log = c.log_y.value_or(wants_log(ys)) && *ylo > 0;
  const Axis xa = nice_axis(x0, x1, std::max(3, static_cast<int>(pw / 80)));
  const Axis ya = log ? log_axis(*ylo, *yhi) : nice_axis(*ylo, *yhi, std::max(3, static_cast<int>(ph / 40)));
  const Scale sx{xa.lo, xa.hi, left, left + pw, false};
  const Scale sy{ya.lo, ya.hi, top + ph, top, log};
  // Grid and ticks.
  for (const auto& t : ya.ticks) {
    const double y = sy(t.value);
    o << "<line class=\"grid\" x1=\"" << num(left) << "\" x2=\"" << num(left + pw) << "\" y1=\"" << num(y) << "\" y2=\""
      << num(y) << "\" stroke=\"#ddd\"/><text class=\"axis\" x=\"" << num(left - 6) << "\" y=\"" << num(y + 4)
      << "\" text-anchor=\"end\">" << html_escape(t.label) << "</text>";
  }
  for (const auto& t : xa.ticks) {
    const double x = sx(t.value);
    o << "<line class=\"grid\" x1=\"" << num(x) << "\" x2=\"" << num(x) << "\" y1=\"" << num(top) << "\" y2=\""
      << num(top + ph) << "\" stroke=\"#eee\"/><text class=\"axis\" x=\"" << num(x) << "\" y=\"" << num(top + ph + 16)
      << "\" text-anchor=\"middle\">" << html_escape(c.x_duration ? (t.value == 0 ? "0" : human_duration(t.value)) : t.label) << "</text>";
  }
  o << "<rect class=\"frame\" x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(pw) << "\" height=\""
    << num(ph) << "\" fill=\"none\" stroke=\"#888\"/>";
  o << "<text class=\"label\" x=\"" << num(left + pw / 2) << "\" y=\"" << num(c.height - 6) << "\" text-anchor=\"middle\">"
    << html_escape(c.x_label) << "</text>";
  o << "<text class=\"label\" transform=\"translate(14," << num(top + ph / 2) << ") rotate(-90)\" text-anchor=\"middle\">"
    << html_escape(c.y_label + (log ? " (log)" : "")) << "</text>";
  // Series: the highlighted last, on top.
  std::vector<const Series*> order;
  for (const auto& s : c.series) order.push_back(&s);
  std::stable_sort(order.begin(), order.end(), [](const Series* a, const Series* b) { return !a->highlight && b->highlight; });
  for (const Series* s : order) {
    std::vector<Point> pts;
    for (const auto& p : s->points)
      if (std::isfinite(p.x) && std::isfinite(p.y) && (!log || p.y > 0)) pts.push_back(p);
    pts = thin(pts, c.max_points);
    if (pts.empty()) continue;
    o << "<path class=\"series" << (s->highlight ? " best" : "") << "\" data-name=\"" << html_escape(s->name)
      << "\" fill=\"none\" stroke=\"" << palette(s->colour) << "\" stroke-width=\"" << (s->highlight ? "2.5" : "1.2")
      << "\"" << (s->highlight ? "" : " stroke-opacity=\"0.75\"") << " d=\"";
    for (size_t k = 0; k < pts.size(); ++k) o << (k ? " L" : "M") << num(sx(pts[k].x)) << " " << num(sy(pts[k].y));
    if (pts.size() == 1) o << " h1";  // one point still shows
    o << "\"><title>" << html_escape(s->name) << "</title></path>";
    if (c.markers)
      for (const auto& p : pts)
        o << "<circle class=\"marker\" cx=\"" << num(sx(p.x)) << "\" cy=\"" << num(sy(p.y)) << "\" r=\""
          << (s->highlight ? "3.5" : "2.5") << "\" fill=\"" << palette(s->colour) << "\"><title>" << html_escape(s->name)
          << "</title></circle>";
  }
  o << "</svg>";
  return o.str();
}

}  // namespace saturn
