#include "report/report_page.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "core/units.h"
#include "report/html.h"
#include "report/line_chart.h"
#include "report/timeline.h"

namespace saturn {
namespace {

// A name safe in a file name and an HTML id.
std::string slug(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '_';
  return out;
}

std::string loss(double x) {
  if (!std::isfinite(x)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", x);
  return b;
}

// The models, in leaderboard order of their first job.
std::vector<std::string> models_of(const ReportData& r) {
  std::vector<std::string> order;
  for (const auto& j : r.jobs)
    if (std::find(order.begin(), order.end(), j.model) == order.end()) order.push_back(j.model);
  return order;
}

// The four loss charts of one model's jobs.
std::vector<ReportChart> loss_charts(const ReportData& r, const std::string& model, bool several) {
  struct Kind {
    const char* name;
    const char* title;
    std::vector<Point> ReportJob::*points;
    bool time;
  };
  const Kind kinds[] = {{"train-step", "training loss by step", &ReportJob::train_by_step, false},
                        {"valid-step", "validation loss by step", &ReportJob::valid_by_step, false},
                        {"train-time", "training loss over time", &ReportJob::train_by_time, true},
                        {"valid-time", "validation loss over time", &ReportJob::valid_by_time, true}};
  std::vector<const ReportJob*> jobs;
  for (const auto& j : r.jobs)
    if (j.model == model) jobs.push_back(&j);
  // The best: the model's first job on the leaderboard, when it finished.
  const ReportJob* best = !jobs.empty() && jobs.front()->rank > 0 ? jobs.front() : nullptr;
  const size_t budget = std::clamp<size_t>(16000 / std::max<size_t>(1, jobs.size()), 16, 400);
  std::vector<ReportChart> out;
  for (const auto& k : kinds) {
    LineChart c;
    c.title = (several ? model + ": " : std::string()) + k.title;
    c.x_label = k.time ? "time since the run began" : "step";
    c.y_label = "loss";
    c.x_duration = k.time;
    c.max_points = budget;
    c.markers = std::string(k.name).rfind("valid", 0) == 0;
    c.legend = true;
    size_t i = 0;
    bool any = false;
    for (const ReportJob* j : jobs) {
      Series s{j->id, j->*k.points, j == best, j == best ? 0 : 1 + i++ % 7};
      any = any || !s.points.empty();
      c.series.push_back(std::move(s));
    }
    if (!any && std::string(k.name).rfind("valid", 0) == 0) continue;  // no validation data
    out.push_back({"loss-" + slug(model) + "-" + k.name, line_chart_svg(c), model});
  }
  return out;
}

std::vector<ReportBar> plan_bars_in_effect(const ReportData& r) {
  std::vector<ReportBar> out;
  for (size_t i = 0; i < r.plans.size(); ++i) {
    const double until = i + 1 < r.plans.size() ? r.plans[i + 1].created : INFINITY;
    for (ReportBar b : r.plans[i].bars) {
      if (b.start >= until) continue;
      b.end = std::min(b.end, until);
      out.push_back(b);
    }
  }
  return out;
}

ReportChart utilisation_chart(const ReportData& r) {
  LineChart c;
  c.title = "devices busy";
  c.x_label = "time since the run began";
  c.y_label = "% of " + std::to_string(r.lanes.size()) + " devices";
  c.x_duration = true;
  c.log_y = false;
  c.max_points = 4000;
  Series s{"busy", {}, true, 2};
  const double n = std::max<size_t>(1, r.lanes.size());
  for (const auto& p : r.busy) s.points.push_back({p.x, 100.0 * p.y / n});
  c.series.push_back(s);
  return {"utilisation", line_chart_svg(c), ""};
}

}  // namespace

std::vector<ReportChart> report_charts(const ReportData& r) {
  std::vector<ReportChart> out;
  const std::vector<std::string> models = models_of(r);
  for (const auto& m : models)
    for (auto& c : loss_charts(r, m, models.size() > 1)) out.push_back(std::move(c));
  TimelineChart t;
  t.title = r.plans.empty() ? "what ran, per device" : "planned (the plan in effect) and what ran, per device";
  t.lanes = r.lanes;
  t.planned = plan_bars_in_effect(r);
  t.ran = r.attempts;
  t.ran.insert(t.ran.end(), r.measuring.begin(), r.measuring.end());  // the measurement, on the same axis
  t.end = r.makespan;
  out.push_back({"timeline", timeline_svg(t), ""});
  if (r.plans.size() > 1)
    for (const auto& p : r.plans) {
      TimelineChart v;
      v.title = "plan " + std::to_string(p.version) + " (" + p.reason + ")";
      v.lanes = r.lanes;
      v.ran = p.bars;
      v.end = std::max(r.makespan, p.created + p.makespan);
      out.push_back({"plan-" + std::to_string(p.version), timeline_svg(v), ""});
    }
  out.push_back(utilisation_chart(r));
  std::vector<std::pair<std::string, double>> bars;
  if (r.bound > 0) bars.push_back({"lower bound", r.bound});
  if (r.predicted > 0) bars.push_back({"planned", r.predicted});
  bars.push_back({"actual", r.makespan});
  out.push_back({"makespan", duration_bars_svg("makespan against the plan", bars), ""});
  out.push_back({"events", event_strip_svg({"events", r.events, r.makespan, 960}), ""});
  return out;
}

namespace {

const char* kStyle = R"(:root{color-scheme:light dark;--bg:#fff;--fg:#1d1d1d;--muted:#5f5f5f;--line:#d9d9d9;--head:#f2f2f2;--code:#f6f6f6}
@media (prefers-color-scheme:dark){:root{--bg:#141414;--fg:#e8e8e8;--muted:#a8a8a8;--line:#3c3c3c;--head:#1f1f1f;--code:#1c1c1c}}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg);margin:0 auto;max-width:1180px;padding:16px 20px}
h1{font-size:22px;margin:4px 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line)}h3{font-size:15px;margin:16px 0 6px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}dl.meta dt{color:var(--muted)}dl.meta dd{margin:0}
pre{background:var(--code);padding:6px 10px;overflow-x:auto;margin:4px 0}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--head);position:sticky;top:0}th[data-sort]{cursor:pointer}th[aria-sort=ascending]::after{content:" \25B2"}th[aria-sort=descending]::after{content:" \25BC"}
td.n{text-align:right;font-variant-numeric:tabular-nums}tr.best td{font-weight:600}
.s-failed{color:#D55E00}.s-stopped{color:#009E73}.s-running,.s-pending{color:var(--muted)}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:10px}figure{margin:0}svg.chart{max-width:100%;height:auto}
.charts svg.chart{width:100%}
svg rect.bar:not(.planned){stroke:var(--bg)}svg .label{fill:var(--fg)}svg .axis{fill:var(--muted)}svg .grid{stroke:var(--line)}svg .frame{stroke:var(--muted)}
nav.pager{margin:6px 0;display:none}nav.pager button{margin-right:6px}.note{color:var(--muted)}
)";

// Sorts a table by a clicked header (numbers by data-v) and pages its rows.
const char* kScript = R"(for(const t of document.querySelectorAll('table.paged')){
const body=t.tBodies[0],size=+t.dataset.page||50,nav=t.nextElementSibling;let page=0;
const rows=()=>Array.from(body.rows);
function show(){const r=rows(),n=Math.max(1,Math.ceil(r.length/size));page=Math.min(page,n-1);
r.forEach((x,i)=>x.hidden=i<page*size||i>=(page+1)*size);
if(nav){nav.style.display=n>1?'block':'none';nav.querySelector('span').textContent='page '+(page+1)+' of '+n+' ('+r.length+' rows)';}}
if(nav){nav.querySelector('.prev').onclick=()=>{page=Math.max(0,page-1);show();};nav.querySelector('.next').onclick=()=>{page++;show();};}
t.querySelectorAll('th[data-sort]').forEach((th,col)=>{th.onclick=()=>{
const idx=Array.from(th.parentNode.children).indexOf(th),num=th.dataset.sort==='num';
const asc=th.getAttribute('aria-sort')!=='ascending';t.querySelectorAll('th').forEach(x=>x.removeAttribute('aria-sort'));
th.setAttribute('aria-sort',asc?'ascending':'descending');
const key=r=>{const c=r.cells[idx];const v=c.dataset.v!==undefined?c.dataset.v:c.textContent;return num?(v===''||isNaN(+v)?Infinity:+v):v;};
const r=rows().sort((a,b)=>{const x=key(a),y=key(b);return (x<y?-1:x>y?1:0)*(asc?1:-1);});
r.forEach(x=>body.appendChild(x));page=0;show();};});show();})";

std::string pager() {
  return "<nav class=\"pager\"><button class=\"prev\" type=\"button\">previous</button><button class=\"next\" "
         "type=\"button\">next</button><span></span></nav>";
}

std::string cell(const std::string& text, const std::string& sort_value = "", bool numeric = false) {
  std::string o = "<td";
  if (numeric) o += " class=\"n\"";
  if (!sort_value.empty()) o += " data-v=\"" + html_escape(sort_value) + "\"";
  return o + ">" + html_escape(text) + "</td>";
}

// A duration for a table cell: "0" at the run's start.
std::string when(double s) { return s == 0 ? "0" : human_duration(s); }

std::string number_text(double x) {
  if (!std::isfinite(x)) return "";
  char b[32];
  std::snprintf(b, sizeof b, "%.9g", x);
  return b;
}

void leaderboard(std::ostringstream& o, const ReportData& r, size_t page_rows) {
  std::vector<std::string> keys;  // hyperparameter columns, in first-seen order
  for (const auto& j : r.jobs)
    for (const auto& [k, _] : j.params)
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  const bool several = std::any_of(r.jobs.begin(), r.jobs.end(), [&](const ReportJob& j) { return j.model != r.jobs[0].model; });
  o << "<section id=\"leaderboard\"><h2>Leaderboard</h2><p class=\"note\">" << r.jobs.size()
    << " jobs; finished jobs by validation loss (training loss without validation data), then those stopped early, "
       "furthest first. Click a column to sort.</p>";
  o << "<table id=\"leaderboard-table\" class=\"paged\" data-page=\"" << page_rows << "\"><thead><tr>"
    << "<th data-sort=\"num\">#</th><th data-sort=\"text\">job</th>";
  if (several) o << "<th data-sort=\"text\">model</th>";
  for (const auto& k : keys) o << "<th data-sort=\"num\">" << html_escape(k) << "</th>";
  o << "<th data-sort=\"text\">strategy</th><th data-sort=\"num\">devices</th><th data-sort=\"num\">wall</th>"
       "<th data-sort=\"num\">restarts</th><th data-sort=\"num\">valid loss</th><th data-sort=\"num\">train loss</th>"
       "<th data-sort=\"num\">steps</th><th data-sort=\"text\">status</th></tr></thead><tbody>";
  size_t position = 0;
  for (const auto& j : r.jobs) {
    ++position;
    o << "<tr class=\"job" << (j.rank == 1 ? " best" : "") << "\" data-job=\"" << html_escape(j.id) << "\">"
      << cell(j.rank ? std::to_string(j.rank) : "-", std::to_string(position), true) << cell(j.id);
    if (several) o << cell(j.model);
    for (const auto& k : keys) {
      std::string v;
      for (const auto& [pk, pv] : j.params)
        if (pk == k) v = pv;
      o << cell(v, v, true);
    }
    o << cell(j.strategy) << cell(j.devices ? std::to_string(j.devices) : "-", std::to_string(j.devices), true)
      << cell(j.wall_s > 0 ? human_duration(j.wall_s) : "-", number_text(j.wall_s), true)
      << cell(std::to_string(j.restarts), std::to_string(j.restarts), true)
      << cell(loss(j.valid_loss), number_text(j.valid_loss), true) << cell(loss(j.train_loss), number_text(j.train_loss), true)
      << cell(std::to_string(j.steps_done) + "/" + std::to_string(j.steps), std::to_string(j.steps_done), true)
      << "<td class=\"s-" << html_escape(j.status) << "\">" << html_escape(j.status_text) << "</td></tr>";
  }
  o << "</tbody></table>" << pager() << "</section>";
}

void header(std::ostringstream& o, const ReportData& r) {
  o << "<header><h1>saturn report: " << html_escape(r.workload) << "</h1><dl class=\"meta\">";
  auto item = [&](const std::string& k, const std::string& v) {
    if (!v.empty()) o << "<dt>" << html_escape(k) << "</dt><dd>" << html_escape(v) << "</dd>";
  };
  item("workload", r.workload_path);
  item("run directory", r.run_dir);
  item("cluster", r.cluster);
  item("saturn", r.saturn_version);
  size_t done = 0, stopped = 0, failed = 0;
  for (const auto& j : r.jobs) {
    done += j.status == "done";
    stopped += j.status == "stopped";
    failed += j.status == "failed";
  }
  item("jobs", std::to_string(r.jobs.size()) + ": " + std::to_string(done) + " done" +
                   (stopped ? ", " + std::to_string(stopped) + " stopped early" : "") +
                   (failed ? ", " + std::to_string(failed) + " failed" : ""));
  if (r.makespan > 0 && r.expected > 0)
    item("makespan", human_duration(r.makespan) + " (expected about " + human_duration(r.expected) +
                         " under early stopping; the first plan, to the first rung, predicted " +
                         human_duration(r.predicted) + ")");
  else if (r.makespan > 0)
    item("makespan", human_duration(r.makespan) +
                         (r.predicted > 0 ? " (the first plan predicted " + human_duration(r.predicted) + ")" : ""));
  if (!r.jobs.empty() && r.jobs[0].rank == 1) item("best", r.jobs[0].id + ", " + loss(r.jobs[0].valid_loss) + " validation loss");
  o << "</dl>";
  for (const auto& [what, command] : r.commands)
    o << "<p class=\"note\">" << html_escape(what) << ":</p><pre><code>" << html_escape(command) << "</code></pre>";
  o << "</header>";
}

void figure(std::ostringstream& o, const ReportChart& c) {
  o << "<figure id=\"chart-" << html_escape(c.name) << "\">" << c.svg << "</figure>";
}

void plans_table(std::ostringstream& o, const ReportData& r, size_t page_rows) {
  o << "<table id=\"plans-table\" class=\"paged\" data-page=\"" << page_rows << "\"><thead><tr>"
    << "<th data-sort=\"num\">version</th><th data-sort=\"num\">made at</th><th data-sort=\"num\">predicted makespan</th>"
       "<th data-sort=\"num\">lower bound</th><th data-sort=\"text\">method</th><th data-sort=\"text\">why</th></tr></thead><tbody>";
  for (const auto& p : r.plans)
    o << "<tr>" << cell(std::to_string(p.version), std::to_string(p.version), true)
      << cell(when(p.created), number_text(p.created), true)
      << cell(human_duration(p.makespan), number_text(p.makespan), true)
      << cell(p.bound > 0 ? human_duration(p.bound) : "-", number_text(p.bound), true) << cell(p.method) << cell(p.reason)
      << "</tr>";
  o << "</tbody></table>" << pager();
}

void events_table(std::ostringstream& o, const ReportData& r, size_t page_rows) {
  o << "<table id=\"events-table\" class=\"paged\" data-page=\"" << page_rows << "\"><thead><tr>"
    << "<th data-sort=\"num\">time</th><th data-sort=\"text\">event</th><th data-sort=\"text\">job</th>"
       "<th data-sort=\"text\">message</th></tr></thead><tbody>";
  for (const auto& e : r.events)
    o << "<tr data-kind=\"" << html_escape(e.kind) << "\">" << cell(when(e.time), number_text(e.time), true)
      << cell(e.kind) << cell(e.job) << cell(e.message) << "</tr>";
  o << "</tbody></table>" << pager();
}

}  // namespace

std::string report_html(const ReportData& r, size_t page_rows) {
  const auto charts = report_charts(r);
  auto chart = [&](const std::string& name) -> const ReportChart* {
    for (const auto& c : charts)
      if (c.name == name) return &c;
    return nullptr;
  };
  std::ostringstream o;
  o << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
       "content=\"width=device-width, initial-scale=1\"><meta name=\"generator\" content=\"saturn "
    << html_escape(r.saturn_version) << "\"><title>saturn report: " << html_escape(r.workload) << "</title><style>"
    << kStyle << "</style></head><body>";
  header(o, r);
  leaderboard(o, r, page_rows);
  o << "<section id=\"curves\"><h2>Loss curves</h2><p class=\"note\">Every job, the best drawn thick and on top; "
       "hover a line for its job.</p>";
  const std::vector<std::string> models = models_of(r);
  for (const auto& m : models) {
    if (models.size() > 1) o << "<h3>" << html_escape(m) << "</h3>";
    o << "<div class=\"charts\" data-model=\"" << html_escape(m) << "\">";
    for (const auto& c : charts)
      if (c.model == m) figure(o, c);
    o << "</div>";
  }
  o << "</section><section id=\"timeline\"><h2>Planned and actual</h2><p class=\"note\">"
    << r.attempts.size() << " attempts on " << r.lanes.size() << " devices, " << r.plans.size()
    << (r.plans.size() == 1 ? " plan" : " plans") << ". A fused group's members share a device as stripes.</p>";
  if (const auto* c = chart("timeline")) figure(o, *c);
  if (!r.plans.empty()) plans_table(o, r, page_rows);
  if (r.plans.size() > 1) {
    o << "<details><summary>each plan version</summary>";
    for (const auto& p : r.plans)
      if (const auto* c = chart("plan-" + std::to_string(p.version))) figure(o, *c);
    o << "</details>";
  }
  o << "</section><section id=\"utilisation\"><h2>Devices and makespan</h2><div class=\"charts\">";
  for (const char* name : {"utilisation", "makespan"})
    if (const auto* c = chart(name)) figure(o, *c);
  o << "</div></section><section id=\"events\"><h2>Events</h2>";
  if (const auto* c = chart("events")) figure(o, *c);
  events_table(o, r, page_rows);
  o << "</section><script>" << kScript << "</script></body></html>\n";
  return o.str();
}

}  // namespace saturn
