// Chart geometry of the run report (report/chart.h): nice axes, log axes,
// tick labels, scales, when to use a log scale, and thinning long series.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "report/chart.h"
#include "report/html.h"
#include "report/line_chart.h"

using namespace saturn;

namespace {
std::vector<std::string> labels(const Axis& a) {
  std::vector<std::string> out;
  for (const auto& t : a.ticks) out.push_back(t.label);
  return out;
}
}  // namespace

TEST_CASE("chart: nice axes start and end on a 1-2-5 tick, cover the data, never exceed the tick count") {
  CHECK(labels(nice_axis(0, 9.3, 6)) == std::vector<std::string>{"0", "2", "4", "6", "8", "10"});
  CHECK(labels(nice_axis(2.31, 2.58, 6)) == std::vector<std::string>{"2.3", "2.4", "2.5", "2.6"});
  CHECK(labels(nice_axis(-0.3, 0.2, 6)) == std::vector<std::string>{"-0.3", "-0.2", "-0.1", "0", "0.1", "0.2"});
  CHECK(labels(nice_axis(0, 52000, 5)) == std::vector<std::string>{"0", "20k", "40k", "60k"});
  const Axis one = nice_axis(5, 5, 5);  // one value: widened a step each way
  CHECK(one.lo < 5);
  CHECK(one.hi > 5);
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-1000, 1000), e(-6, 6);
  for (int i = 0; i < 2000; ++i) {
    const double scale = std::pow(10, e(rng)), a = u(rng) * scale, b = a + std::fabs(u(rng)) * scale;
    const int n = 2 + i % 9;
    const Axis ax = nice_axis(a, b, n);
    INFO(a << " " << b << " " << n);
    REQUIRE(ax.ticks.size() >= 2);
    CHECK(static_cast<int>(ax.ticks.size()) <= (a < 0 && b > 0 ? std::max(3, n) : n));
    CHECK(ax.lo <= a + std::fabs(a) * 1e-12);
    CHECK(ax.hi >= b - std::fabs(b) * 1e-12);
    CHECK(ax.ticks.front().value == Approx(ax.lo).margin(scale * 1e-9));
    CHECK(ax.ticks.back().value == Approx(ax.hi).margin(scale * 1e-9));
    const double step = ax.ticks[1].value - ax.ticks[0].value;
    for (size_t k = 1; k < ax.ticks.size(); ++k) CHECK(ax.ticks[k].value - ax.ticks[k - 1].value == Approx(step));
    for (size_t k = 1; k < ax.ticks.size(); ++k) CHECK(ax.ticks[k].label != ax.ticks[k - 1].label);
  }
}

TEST_CASE("chart: log axes on powers of ten, with 2 and 5 between when there are few") {
  CHECK(labels(log_axis(0.5, 300)) == std::vector<std::string>{"0.1", "1", "10", "100", "1000"});
  CHECK(labels(log_axis(2, 30)) == std::vector<std::string>{"1", "2", "5", "10", "20", "50", "100"});
  const Axis small = log_axis(0.002, 0.03);
  CHECK(small.lo == Approx(0.001));
  CHECK(small.hi == Approx(0.1));
  CHECK(small.ticks.front().label == "0.001");
}

TEST_CASE("chart: tick labels, scales, and when a log scale helps") {
  CHECK(tick_label(12000, 1000) == "12k");
  CHECK(tick_label(1500000, 500000) == "1.5M");
  CHECK(tick_label(0.25, 0.05) == "0.25");
  CHECK(tick_label(2.5, 0.5) == "2.5");
  CHECK(tick_label(-0.0, 0.1) == "0");
  const Scale x{0, 100, 50, 550, false};
  CHECK(x(0) == 50);
  CHECK(x(100) == 550);
  CHECK(x(50) == 300);
  const Scale y{1, 1000, 400, 100, true};  // a y axis: larger values higher on the page
  CHECK(y(1) == Approx(400));
  CHECK(y(1000) == Approx(100));
  CHECK(y(10) == Approx(300));
  CHECK(y(0) > 400);  // off the bottom, not NaN
  CHECK(wants_log({1, 50}));
  CHECK_FALSE(wants_log({1, 20}));
  CHECK_FALSE(wants_log({0, 50}));
  CHECK_FALSE(wants_log({}));
  CHECK(wants_log({0.01, 2.5, NAN}));
}

TEST_CASE("chart: a long series is thinned to the limit, keeping its ends and its peaks") {
  std::vector<Point> pts;
  for (int i = 0; i < 10000; ++i) pts.push_back({double(i), std::sin(i / 300.0) + (i == 6543 ? 25.0 : 0.0)});
  const auto t = thin(pts, 400);
  REQUIRE(t.size() == 400);
  CHECK(t.front().x == 0);
  CHECK(t.back().x == 9999);
  for (size_t k = 1; k < t.size(); ++k) CHECK(t[k].x > t[k - 1].x);
  bool spike = false;
  for (const auto& p : t) spike |= p.x == 6543;
  CHECK(spike);
  const std::vector<Point> few{{0, 1}, {1, 2}, {2, 3}};
  CHECK(thin(few, 400).size() == 3);
}

TEST_CASE("html: job ids and hyperparameter text cannot inject markup, in text or in either attribute quote") {
  CHECK(html_escape("gpt/lr=1e-3,bs=8") == "gpt/lr=1e-3,bs=8");
  CHECK(html_escape("<script>alert('x')</script>") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  CHECK(html_escape("a&b \"c\" 'd'") == "a&amp;b &quot;c&quot; &#39;d&#39;");
  CHECK(html_escape("&amp;") == "&amp;amp;");  // escaped again, not taken as an entity
  const std::string hostile = "m/\"><img src=x onerror=alert(1)>&'";
  const std::string e = html_escape(hostile);
  for (char c : {'<', '>', '"', '\''}) CHECK(e.find(c) == std::string::npos);
}

TEST_CASE("line chart: one path per series, the best drawn last, names escaped, log when it helps, no data said") {
  LineChart c;
  c.title = "loss <by> step";
  c.x_label = "step";
  c.y_label = "loss";
  for (int j = 0; j < 3; ++j) {
    Series s;
    s.name = j == 1 ? "m/\"best\"&<1>" : "m/" + std::to_string(j);
    s.highlight = j == 1;
    s.colour = static_cast<size_t>(j);
    for (int i = 1; i <= 5000; ++i) s.points.push_back({double(i), 100.0 / i + j});
    c.series.push_back(s);
  }
  const std::string svg = line_chart_svg(c);
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (size_t at = svg.find(what); at != std::string::npos; at = svg.find(what, at + 1)) ++n;
    return n;
  };
  CHECK(count("<path class=\"series") == 3);
  CHECK(count("<path class=\"series best\"") == 1);
  CHECK(svg.rfind("<path class=\"series best\"") > svg.rfind("<path class=\"series\""));  // on top
  CHECK(svg.find("m/&quot;best&quot;&amp;&lt;1&gt;") != std::string::npos);
  CHECK(svg.find("m/\"best\"") == std::string::npos);
  CHECK(svg.find("loss (log)") != std::string::npos);  // 100 down to 0.02: a log scale
  CHECK(svg.find("loss &lt;by&gt; step") != std::string::npos);
  CHECK(count(" L") <= 3 * 399);  // thinned to 400 points a series
  c.log_y = false;
  CHECK(line_chart_svg(c).find("(log)") == std::string::npos);
  LineChart empty;
  empty.title = "nothing";
  CHECK(line_chart_svg(empty).find(">no data<") != std::string::npos);
}

TEST_CASE("line chart: a legend names few series each, else the best and how many more") {
  LineChart c;
  c.title = "loss";
  c.legend = true;
  for (int j = 0; j < 2; ++j) c.series.push_back({"m/" + std::to_string(j), {{1, 2}, {2, 1}}, j == 0, size_t(j)});
  std::string svg = line_chart_svg(c);
  CHECK(svg.find("<text class=\"legend\"") != std::string::npos);
  CHECK(svg.find(" m/0 (best)") != std::string::npos);
  CHECK(svg.find(" m/1 ") != std::string::npos);
  for (int j = 2; j < 9; ++j) c.series.push_back({"m/" + std::to_string(j), {{1, 2}, {2, 1}}, false, size_t(j)});
  svg = line_chart_svg(c);
  CHECK(svg.find(" m/0 (best)") != std::string::npos);
  CHECK(svg.find(" m/5 ") == std::string::npos);  // in the legend only by count
  CHECK(svg.find("8 more jobs (thin; hover a line for its name)") != std::string::npos);
  c.legend = false;
  CHECK(line_chart_svg(c).find("class=\"legend\"") == std::string::npos);
}
