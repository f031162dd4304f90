#include "report/gantt.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "core/units.h"
#include "report/html.h"

namespace saturn {

namespace {

char symbol(size_t i) {
  static const std::string s = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return i < s.size() ? s[i] : '#';
}

// Distinct colours for up to a dozen groups, then repeats.
const char* colour(size_t i) {
  static const char* c[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
                            "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295"};
  return c[i % (sizeof(c) / sizeof(c[0]))];
}

}  // namespace

std::string gantt_text(const Gantt& g, const Terminal& term, int width) {
  if (g.bars.empty() || g.makespan <= 0) return "";
  size_t label_w = 0;
  for (const auto& l : g.lanes) label_w = std::max(label_w, l.size());
  const int cols = std::max(10, width - static_cast<int>(label_w) - 3);
  std::map<std::string, char> sym;
  std::vector<std::string> order;
  for (const auto& b : g.bars)
    if (!sym.count(b.label)) {
      sym[b.label] = symbol(order.size());
      order.push_back(b.label);
    }
  std::vector<std::string> rows(g.lanes.size(), std::string(static_cast<size_t>(cols), '.'));
  for (const auto& b : g.bars) {
    int from = static_cast<int>(std::floor(b.start / g.makespan * cols));
    int to = std::max(from + 1, static_cast<int>(std::lround(b.end / g.makespan * cols)));
    for (int c = std::max(0, from); c < std::min(cols, to); ++c) rows[b.lane][static_cast<size_t>(c)] = sym[b.label];
  }
  std::ostringstream out;
  for (size_t l = 0; l < g.lanes.size(); ++l)
    out << g.lanes[l] << std::string(label_w - g.lanes[l].size(), ' ') << " | " << rows[l] << "\n";
  std::string axis_end = human_duration(g.makespan);
  out << std::string(label_w, ' ') << " 0" << std::string(static_cast<size_t>(std::max(1, cols - static_cast<int>(axis_end.size()))), ' ')
      << axis_end << "\n";
  std::string line;
  for (const auto& label : order) {
    std::string item = std::string(1, sym[label]) + " " + label;
    if (!line.empty() && static_cast<int>(line.size() + item.size() + 3) > width) {
      out << term.style(line, "2") << "\n";
      line.clear();
    }
    line += (line.empty() ? "" : "   ") + item;
  }
  if (!line.empty()) out << term.style(line, "2") << "\n";
  return out.str();
}

std::string gantt_svg(const Gantt& g) {
  const double left = 130, right = 20, top = 40, lane_h = 22, plot_w = 960;
  const double height = top + lane_h * static_cast<double>(g.lanes.size()) + 50;
  const double width = left + plot_w + right;
  const double scale = g.makespan > 0 ? plot_w / g.makespan : 0;
  std::map<std::string, size_t> groups;
  for (const auto& b : g.bars) groups.emplace(b.group, groups.size());
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  s << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s << "<text x=\"" << left << "\" y=\"22\" font-size=\"14\">" << html_escape(g.title) << "</text>\n";
  for (size_t l = 0; l < g.lanes.size(); ++l) {
    double y = top + lane_h * static_cast<double>(l);
    s << "<text x=\"" << left - 6 << "\" y=\"" << y + lane_h * 0.65 << "\" text-anchor=\"end\">"
      << html_escape(g.lanes[l]) << "</text>\n";
    s << "<line x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << y + lane_h << "\" y2=\"" << y + lane_h
      << "\" stroke=\"#eee\"/>\n";
  }
  for (const auto& b : g.bars) {
    double x = left + b.start * scale, w = std::max(1.0, (b.end - b.start) * scale);
    double y = top + lane_h * static_cast<double>(b.lane) + 2;
    s << "<g><title>" << html_escape(b.label + "\n" + b.detail) << "</title><rect x=\"" << x << "\" y=\"" << y
      << "\" width=\"" << w << "\" height=\"" << lane_h - 4 << "\" fill=\"" << colour(groups[b.group])
      << "\" stroke=\"white\"/>";
    if (w > 7.0 * static_cast<double>(b.label.size()))
      s << "<text x=\"" << x + 3 << "\" y=\"" << y + lane_h * 0.6 << "\" fill=\"white\">" << html_escape(b.label)
        << "</text>";
    s << "</g>\n";
  }
  // Time axis: about 8 ticks.
  double axis_y = top + lane_h * static_cast<double>(g.lanes.size()) + 14;
  for (int k = 0; k <= 8 && g.makespan > 0; ++k) {
    double t = g.makespan * k / 8.0;
    s << "<text x=\"" << left + t * scale << "\" y=\"" << axis_y << "\" text-anchor=\"middle\">"
      << html_escape(human_duration(t)) << "</text>\n";
  }
  // Legend: groups.
  double lx = left;
  for (const auto& [name, i] : groups) {
    s << "<rect x=\"" << lx << "\" y=\"" << axis_y + 10 << "\" width=\"10\" height=\"10\" fill=\"" << colour(i)
      << "\"/><text x=\"" << lx + 14 << "\" y=\"" << axis_y + 19 << "\">" << html_escape(name) << "</text>\n";
    lx += 24 + 6.5 * static_cast<double>(name.size());
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace saturn
