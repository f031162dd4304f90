#include "app/run_report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/early_stopping.h"
#include "core/file.h"
#include "core/run_files.h"
#include "core/text.h"
#include "core/units.h"
#include "core/value.h"
#include "exec/ranking.h"
#include "report/report_page.h"

namespace saturn {
namespace {

using nlohmann::json;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t a = 0;
  while (a <= s.size()) {
    const size_t b = std::min(s.find(sep, a), s.size());
    if (b > a) out.push_back(s.substr(a, b - a));
    a = b + 1;
  }
  return out;
}

// The model and the varied hyperparameters of a job: from its grid point
// when the job is known (`job`, of `w`), else from its id ("model/k=v,k=v").
void name_parts(ReportJob& j, const Job* job, const Workload* w) {
  if (job && w) {
    j.model = w->models.at(job->model).name;
    for (const auto& [k, v] : job->point) j.params.push_back({k, value_text(v)});
    return;
  }
  const size_t slash = j.id.find('/');
  j.model = j.id.substr(0, slash);
  if (slash == std::string::npos) return;
  for (const auto& kv : split(j.id.substr(slash + 1), ',')) {
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) j.params.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
  }
}

// One job's metrics.jsonl as curves. The file holds one run of lines per
// attempt (each attempt's "time" counts from its own start; a resume drops
// the lines past its checkpoint), so a line's time on the run clock is its
// attempt's start plus its own time. A line that cannot be read ends the
// reading (a worker may be writing the last one).
void read_curves(ReportJob& j, const std::string& path, const std::vector<const AttemptRecord*>& attempts, double origin) {
  std::ifstream in(path);
  std::string line;
  int64_t last_step = -1;
  double last_time = -1, base = NAN, t_now = NAN;
  size_t next = 0;  // the next attempt a new run of lines may belong to
  while (std::getline(in, line)) {
    json e;
    try {
      e = json::parse(line);
    } catch (const json::exception&) {
      break;
    }
    if (!e.is_object() || !e.contains("step") || !e["step"].is_number()) continue;
    const int64_t step = e["step"].get<int64_t>();
    if (e.contains("loss") && e["loss"].is_number() && e.contains("time") && e["time"].is_number()) {
      const double time = e["time"].get<double>();
      if (step <= last_step || time < last_time || std::isnan(base)) {  // a new attempt's lines
        const AttemptRecord* a = nullptr;
        for (size_t k = next; k < attempts.size() && !a; ++k)
          if (attempts[k]->step_start < step) a = attempts[k], next = k + 1;
        if (!a && !attempts.empty()) a = attempts[next ? next - 1 : 0];  // the one before goes on
        base = a ? a->started - origin : 0;
      }
      last_step = step;
      last_time = time;
      t_now = base + time;
      const double loss = e["loss"].get<double>();
      j.train_by_step.push_back({static_cast<double>(step), loss});
      j.train_by_time.push_back({t_now, loss});
    } else if (e.contains("eval_loss") && e["eval_loss"].is_number()) {
      const double loss = e["eval_loss"].get<double>();
      // Drop a validation point an earlier attempt made past this one's start.
      while (!j.valid_by_step.empty() && j.valid_by_step.back().x >= static_cast<double>(step)) {
        j.valid_by_step.pop_back();
        j.valid_by_time.pop_back();
      }
      j.valid_by_step.push_back({static_cast<double>(step), loss});
      j.valid_by_time.push_back({std::isnan(t_now) ? 0 : t_now, loss});
    }
  }
}

// How an attempt ended, as its bar says: a failure the watchdog caused
// (a `stalled` event for its job while it ran) is "stalled"; a pause at the
// rung its job was stopped at is "early-stop". `stalls`: job -> event times.
std::string kind_of(const AttemptRecord& a, const JobRecord* job, const std::map<std::string, std::vector<double>>& stalls) {
  if (a.outcome == "paused" && job && job->status == JobStatus::Stopped && a.step_end == job->steps_done) return "early-stop";
  if (const auto it = stalls.find(a.job); a.outcome == "failed" && it != stalls.end())
    for (double t : it->second)
      if (t >= a.started && (std::isnan(a.ended) || t <= a.ended + 1)) return "stalled";
  return a.outcome;
}

// Each attempt as a bar on each of its devices; a fused group (one process
// on one device) as stripes, one per member.
std::vector<ReportBar> attempt_bars(const std::vector<AttemptRecord>& attempts, const std::vector<JobRecord>& jobs,
                                    const std::vector<EventRecord>& events, double origin, double now) {
  std::map<std::pair<std::string, int64_t>, std::vector<size_t>> groups;  // (node, pid) of fused attempts
  for (size_t i = 0; i < attempts.size(); ++i)
    if (attempts[i].technique == "fused") groups[{attempts[i].node, attempts[i].pid}].push_back(i);
  std::map<std::string, const JobRecord*> job_of;
  for (const auto& j : jobs) job_of[j.id] = &j;
  std::map<std::string, std::vector<double>> stalls;
  for (const auto& e : events)
    if (e.kind == "stalled") stalls[e.job].push_back(e.time);
  std::vector<ReportBar> out;
  for (size_t i = 0; i < attempts.size(); ++i) {
    const AttemptRecord& a = attempts[i];
    const auto found = job_of.find(a.job);
    ReportBar b;
    b.job = a.job;
    b.kind = kind_of(a, found == job_of.end() ? nullptr : found->second, stalls);
    b.attempt = a.number;
    b.version = a.plan_version;
    b.start = a.started - origin;
    b.end = (std::isnan(a.ended) ? std::max(now, a.started) : a.ended) - origin;
    b.detail = a.technique + " x" + std::to_string(a.devices) + ", steps " + std::to_string(a.step_start) + " to " +
               (a.step_end >= 0 ? std::to_string(a.step_end) : "?") + (a.exit_code >= 0 && !std::isnan(a.ended)
                                                                          ? ", exit " + std::to_string(a.exit_code) : "");
    if (a.technique == "fused") {
      const auto& g = groups[{a.node, a.pid}];
      b.slots = g.size();
      b.slot = static_cast<size_t>(std::find(g.begin(), g.end(), i) - g.begin());
    }
    for (const auto& d : split(a.device_ids, ',')) {
      b.lane = a.node + ":" + d;
      out.push_back(b);
    }
  }
  return out;
}

ReportPlan plan_of(const PlanRecord& p, double origin) {
  ReportPlan r;
  r.version = p.version;
  r.created = p.created - origin;
  r.makespan = p.makespan;
  r.reason = p.reason;
  json j;
  try {
    j = json::parse(p.json);
  } catch (const json::exception&) {
    return r;  // a plan that cannot be read shows in the table, without bars
  }
  r.bound = j.value("bound_s", 0.0);
  r.method = j.value("method", "");
  std::map<std::tuple<std::string, double, double>, std::vector<size_t>> fused;  // (lane, start, end)
  for (const auto& e : j.value("jobs", json::array())) {
    ReportBar b;
    b.job = e.value("job", "");
    b.kind = "planned";
    b.version = p.version;
    b.start = r.created + e.value("start_s", 0.0);
    b.end = r.created + e.value("end_s", 0.0);
    const std::string technique = e.value("technique", "");
    b.detail = "plan " + std::to_string(p.version) + ": " + technique + " x" + std::to_string(e.value("devices", 0)) +
               (e.value("running", false) ? ", already running" : "");
    for (const auto& d : e.value("device_ids", json::array())) {
      b.lane = e.value("node", "") + ":" + std::to_string(d.get<int64_t>());
      if (technique == "fused") fused[{b.lane, b.start, b.end}].push_back(r.bars.size());
      r.bars.push_back(b);
    }
  }
  for (const auto& [_, members] : fused)
    for (size_t k = 0; k < members.size(); ++k) {
      r.bars[members[k]].slot = k;
      r.bars[members[k]].slots = members.size();
    }
  return r;
}

// Lanes busy over time: a step at every change, from the attempts' bars.
std::vector<Point> busy_over_time(const std::vector<ReportBar>& bars) {
  std::vector<std::tuple<double, int, std::string>> edges;  // time, +1/-1, lane (ends first at a tie)
  for (const auto& b : bars) {
    edges.emplace_back(b.start, 1, b.lane);
    edges.emplace_back(b.end, -1, b.lane);
  }
  std::sort(edges.begin(), edges.end(),
            [](const auto& a, const auto& b) { return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b)); });
  std::map<std::string, int> open;
  int busy = 0;
  std::vector<Point> out;
  if (!edges.empty()) out.push_back({0, 0});
  for (const auto& [t, d, lane] : edges) {
    int& n = open[lane];
    const int before = busy;
    if (d > 0 && n++ == 0) ++busy;
    if (d < 0 && --n == 0) --busy;
    if (busy != before) {
      out.push_back({t, static_cast<double>(before)});
      out.push_back({t, static_cast<double>(busy)});
    }
  }
  return out;
}

}  // namespace

ReportData gather_report(const RunState& st, const ReportSource& src) {
  ReportData r;
  r.run_dir = src.run_dir;
  r.saturn_version = src.saturn_version;
  r.workload = st.meta("workload").value_or(src.workload ? src.workload->name : "");
  r.workload_path = st.meta("workload_path").value_or("");
  const auto jobs = ranked_jobs(st.jobs(), run_ranking(st, src.run_dir));
  const auto attempts = st.attempts();
  const auto plans = st.plans(true);
  const auto events = st.events();
  double origin = INFINITY, last = -INFINITY;
  for (const auto& a : attempts) {
    origin = std::min(origin, a.started);
    last = std::max(last, std::isnan(a.ended) ? a.started : a.ended);
  }
  for (const auto& p : plans) origin = std::min(origin, p.created);
  // Measurement phases: a "measure" event at the start, "measured" at the end (run_files: RunSession).
  std::vector<std::pair<double, double>> phases;
  for (const auto& e : events)
    if (e.kind == "measure") phases.push_back({e.time, NAN});
    else if (e.kind == "measured" && !phases.empty() && std::isnan(phases.back().second)) phases.back().second = e.time;
  for (const auto& [a, b] : phases) origin = std::min(origin, a);
  if (!std::isfinite(origin)) origin = events.empty() ? 0 : events.front().time;
  for (const auto& e : events) last = std::max(last, e.time);
  r.origin = origin;
  const double now = src.now > 0 ? src.now : last;
  // Jobs, in leaderboard order.
  std::map<std::string, const Job*> known;  // the workload's jobs by id
  if (src.jobs && src.workload)
    for (const auto& job : src.jobs->jobs) known[job.id] = &job;
  std::map<std::string, std::vector<const AttemptRecord*>> attempts_of;  // by job, in attempt order
  for (const auto& a : attempts) attempts_of[a.job].push_back(&a);
  int64_t rank = 0;
  for (const auto& rec : jobs) {
    ReportJob j;
    j.id = rec.id;
    const auto k = known.find(rec.id);
    name_parts(j, k == known.end() ? nullptr : k->second, src.workload);
    j.status = job_status_name(rec.status);
    j.status_text = status_cell(rec);
    j.rank = rec.status == JobStatus::Done ? ++rank : 0;
    j.steps = rec.steps_total;
    j.steps_done = rec.steps_done;
    j.strategy = rec.strategy.substr(0, rec.strategy.find(" ["));
    j.wall_s = rec.wall_s;
    j.valid_loss = rec.eval_loss;
    j.train_loss = rec.final_loss;
    const std::vector<const AttemptRecord*>& mine = attempts_of[rec.id];
    if (!mine.empty()) j.devices = mine.back()->devices;
    // Relaunches after a failure, counted across runner sessions (state.db's
    // count starts again at each resume: it is the restart budget).
    int64_t relaunched = 0;
    for (size_t k = 0; k + 1 < mine.size(); ++k) relaunched += mine[k]->outcome == "failed" || mine[k]->outcome == "lost";
    j.restarts = std::max(rec.restarts, relaunched);
    read_curves(j, run_files::metrics_path(run_files::job_dir(src.run_dir, rec.id)), mine, origin);
    r.jobs.push_back(std::move(j));
  }
  for (const auto& p : plans) r.plans.push_back(plan_of(p, origin));
  r.attempts = attempt_bars(attempts, jobs, events, origin, now);
  // Lanes: every device of the plans' nodes, then any an attempt used besides.
  std::vector<std::string> cluster;
  if (!plans.empty()) {
    try {
      for (const auto& n : json::parse(plans.back().json).value("nodes", json::array())) {
        const std::string name = n.value("name", "");
        const int64_t count = n.value("devices", 0);
        for (int64_t d = 0; d < count; ++d) r.lanes.push_back(name + ":" + std::to_string(d));
        cluster.push_back(name + ": " + std::to_string(count) + " " + n.value("kind", "device"));
      }
    } catch (const json::exception&) {
    }
  }
  for (const auto& b : r.attempts)
    if (std::find(r.lanes.begin(), r.lanes.end(), b.lane) == r.lanes.end()) r.lanes.push_back(b.lane);
  for (size_t i = 0; i < cluster.size(); ++i) r.cluster += (i ? ", " : "") + cluster[i];
  for (const auto& [a, b] : phases)
    for (const auto& lane : r.lanes) {
      ReportBar m;
      m.lane = lane;
      m.start = a - origin;
      m.end = (std::isnan(b) ? std::max(now, a) : b) - origin;
      m.kind = "measure";
      m.detail = "measuring before the plan: " + human_duration(m.end - m.start);
      r.measuring.push_back(m);
    }
  r.busy = busy_over_time(r.attempts);
  double first = INFINITY, end = -INFINITY;
  for (const auto& b : r.attempts) first = std::min(first, b.start), end = std::max(end, b.end);
  r.makespan = std::isfinite(first) ? end - first : 0;
  if (!r.plans.empty()) {
    r.predicted = r.plans.front().makespan;
    r.bound = r.plans.front().bound;
    // Early stopping's first plan reaches the first rung: scaled to the work
    // the rule is expected to train (expected_work_share), about what the
    // search should take.
    if (src.workload && src.workload->early_stopping.on() && src.workload->train.steps > 0) {
      const int64_t steps = src.workload->train.steps;
      const auto rungs = rung_steps(src.workload->early_stopping, steps, 0);
      if (!rungs.empty() && rungs.front() > 0)
        r.expected = r.predicted * static_cast<double>(steps) * expected_work_share(src.workload->early_stopping, steps) /
                     static_cast<double>(rungs.front());
    }
  }
  for (const auto& e : events) r.events.push_back({e.time - origin, e.kind, e.job, e.message});
  // What a person does next.
  const std::string dir = shell_quote(src.run_dir);
  if (!r.workload_path.empty())
    r.commands.push_back({"resume or re-run", "saturn run " + shell_quote(r.workload_path) + " --run-dir " + dir});
  r.commands.push_back({"where it stands", "saturn status " + dir});
  if (rank > 0) r.commands.push_back({"export the best as a Hugging Face folder", "saturn export " + dir + " --out DIR"});
  r.commands.push_back({"these charts as SVG files, and the data as JSON",
                        "saturn report " + dir + " --svg DIR; saturn report " + dir + " --json"});
  return r;
}

std::string write_report_html(const ReportData& r, const std::string& run_dir) {
  const std::string path = (std::filesystem::path(run_dir) / "report.html").string();
  write_file_atomic(path, report_html(r));
  return path;
}

}  // namespace saturn
