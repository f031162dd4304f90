#include "run_view.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/run_files.h"
#include "core/text.h"
#include "exec/run_lock.h"
#include "core/units.h"
#include "exec/ranking.h"
#include "report/table.h"

namespace saturn::cmd {
namespace {

std::string loss_text(double x) {
  if (std::isnan(x)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.4f", x);
  return b;
}

// A count in three figures: 950, 12.3k, 4.56M, 1.20G; "-" for 0 (unknown).
std::string three_figures(int64_t n) {
  if (n <= 0) return "-";
  if (n < 1000) return std::to_string(n);
  const char* unit = "kMGT";
  double x = static_cast<double>(n) / 1000;
  while (x >= 999.5 && unit[1]) x /= 1000, ++unit;
  char b[32];
  std::snprintf(b, sizeof b, x < 9.995 ? "%.2f%c" : x < 99.95 ? "%.1f%c" : "%.0f%c", x, *unit);
  return b;
}

// The run directory of a state.db.
std::string run_dir_of(const RunState& st) {
  const size_t slash = st.path().find_last_of('/');
  return slash == std::string::npos ? "." : st.path().substr(0, slash);
}

std::vector<JobRecord> ranked(const RunState& st, const Ranking& r) { return ranked_jobs(st.jobs(), r); }

const Job* find_job(const JobSet* set, const std::string& id) {
  if (!set) return nullptr;
  for (const auto& j : set->jobs)
    if (j.id == id) return &j;
  return nullptr;
}

nlohmann::json nan_null(double x) { return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x); }

nlohmann::json job_json(const JobRecord& j) {
  return {{"job", j.id},           {"status", job_status_name(j.status)}, {"steps", j.steps_total},
          {"steps_done", j.steps_done}, {"restarts", j.restarts},       {"final_loss", nan_null(j.final_loss)},
          {"eval_loss", nan_null(j.eval_loss)}, {"wall_s", j.wall_s},   {"strategy", j.strategy},
          {"message", j.message},  {"tokens", j.tokens > 0 ? nlohmann::json(j.tokens) : nlohmann::json(nullptr)}};
}

}  // namespace

std::string leaderboard_text(const RunState& st, const JobSet* jobs, const Terminal& term) {
  Table t;
  t.column("#", Table::Align::Right).column("job");
  if (jobs) t.column("lr", Table::Align::Right).column("batch", Table::Align::Right);
  t.column("strategy").column("wall", Table::Align::Right).column("valid loss", Table::Align::Right)
      .column("train loss", Table::Align::Right);
  const Ranking ranking = run_ranking(st, run_dir_of(st));
  // Task metrics (eval:): a column each, the latest score.
  std::vector<std::string> task_keys;
  for (const auto& [job, scores] : ranking.scores)
    for (const auto& [k, v] : scores)
      if (std::find(task_keys.begin(), task_keys.end(), k) == task_keys.end()) task_keys.push_back(k);
  std::sort(task_keys.begin(), task_keys.end());
  for (const auto& k : task_keys) t.column(k.substr(5), Table::Align::Right);
  const auto jobs_ranked = ranked(st, ranking);
  // Token models: the tokens each trained on (masked ones not counted).
  const bool tokens = std::any_of(jobs_ranked.begin(), jobs_ranked.end(), [](const JobRecord& j) { return j.tokens > 0; });
  if (tokens) t.column("tokens", Table::Align::Right);
  t.column("status");
  int rank = 0;
  for (const auto& j : jobs_ranked) {
    std::vector<std::string> row = {j.status == JobStatus::Done ? std::to_string(++rank) : "-", j.id};
    if (jobs) {
      const Job* job = find_job(jobs, j.id);
      row.push_back(job ? format_number(job->hp.lr) : "?");
      row.push_back(job ? std::to_string(job->hp.batch_size) : "?");
    }
    std::string strategy = j.strategy.substr(0, j.strategy.find(" [") );
    row.insert(row.end(), {strategy, j.wall_s > 0 ? human_duration(j.wall_s) : "-", loss_text(j.eval_loss),
                           loss_text(j.final_loss)});
    for (const auto& k : task_keys) {
      std::string cell = "-";
      if (auto s = ranking.scores.find(j.id); s != ranking.scores.end())
        if (auto v = s->second.find(k); v != s->second.end()) cell = loss_text(v->second);
      row.push_back(cell);
    }
    if (tokens) row.push_back(three_figures(j.tokens));
    row.push_back(status_cell(j));
    t.row(row);
  }
  return t.render(term);
}

nlohmann::json leaderboard_json(const RunState& st, const JobSet* jobs) {
  nlohmann::json out = nlohmann::json::array();
  int rank = 0;
  const Ranking ranking = run_ranking(st, run_dir_of(st));
  for (const auto& j : ranked(st, ranking)) {
    nlohmann::json e = job_json(j);
    if (auto s = ranking.scores.find(j.id); s != ranking.scores.end()) e["eval"] = s->second;
    e["rank"] = j.status == JobStatus::Done ? nlohmann::json(++rank) : nlohmann::json(nullptr);
    if (j.status == JobStatus::Stopped) e["stopped_at_step"] = j.steps_done;
    if (const Job* job = find_job(jobs, j.id)) {
      nlohmann::json hp = {{"lr", job->hp.lr}, {"batch_size", job->hp.batch_size}, {"seed", job->hp.seed},
                           {"weight_decay", job->hp.weight_decay}, {"warmup", job->hp.warmup}};
      e["hyperparameters"] = hp;
    }
    out.push_back(e);
  }
  return out;
}

std::string best_job(const RunState& st) {
  const auto jobs = ranked(st, run_ranking(st, run_dir_of(st)));
  return !jobs.empty() && jobs.front().status == JobStatus::Done ? jobs.front().id : "";
}

nlohmann::json status_json(const RunState& st, const std::string& run_dir) {
  nlohmann::json jobs = nlohmann::json::array(), attempts = nlohmann::json::array(), plans = nlohmann::json::array(),
                 events = nlohmann::json::array();
  for (const auto& j : st.jobs()) jobs.push_back(job_json(j));
  for (const auto& a : st.attempts())
    attempts.push_back({{"job", a.job}, {"number", a.number}, {"plan_version", a.plan_version},
                        {"technique", a.technique}, {"devices", a.devices}, {"node", a.node},
                        {"device_ids", a.device_ids}, {"pid", a.pid}, {"started", a.started},
                        {"ended", nan_null(a.ended)}, {"exit_code", a.exit_code}, {"outcome", a.outcome},
                        {"step_start", a.step_start}, {"step_end", a.step_end}});
  for (const auto& p : st.plans())
    plans.push_back({{"version", p.version}, {"created", p.created}, {"makespan_s", p.makespan}, {"reason", p.reason}});
  for (const auto& e : st.events())
    events.push_back({{"time", e.time}, {"kind", e.kind}, {"job", e.job}, {"message", e.message}});
  nlohmann::json rungs = nlohmann::json::array();
  for (const auto& d : st.rungs())
    rungs.push_back({{"job", d.job}, {"bracket", d.bracket}, {"rung", d.rung}, {"step", d.step},
                     {"metric", std::isfinite(d.metric) ? nlohmann::json(d.metric) : nlohmann::json(nullptr)},
                     {"stop", d.stop}, {"rank", d.rank}, {"n", d.n}, {"keep", d.keep}, {"cut", nan_null(d.cut)},
                     {"reason", d.reason}});
  nlohmann::json out = {{"run_dir", run_dir}, {"jobs", jobs},   {"attempts", attempts},
                        {"plans", plans},     {"rungs", rungs}, {"events", events}};
  if (auto latest = st.latest_plan()) out["plan"] = nlohmann::json::parse(latest->json, nullptr, false);
  out["workload"] = st.meta("workload").value_or("");
  return out;
}

namespace {

// The last training step and loss a job's worker logged, if any.
std::optional<run_files::MetricsLine> last_logged(const std::string& run_dir, const std::string& job) {
  std::ifstream in(run_files::metrics_path(run_files::job_dir(run_dir, job)));
  std::optional<run_files::MetricsLine> last;
  for (std::string line; std::getline(in, line);)
    if (auto m = run_files::parse_metrics_line(line)) last = m;
  return last;
}

// Each rung's jobs and cut: "rung 0 (step 4): 16 reached, 5 go on, 11
// stopped; cut 2.31 at the last decision".
std::string rungs_text(const std::vector<RungDecision>& rungs) {
  if (rungs.empty()) return "";
  struct Rung {
    int64_t step = 0, reached = 0, stopped = 0;
    double cut = NAN;
  };
  std::map<std::pair<int64_t, int64_t>, Rung> by;
  for (const auto& d : rungs) {
    Rung& r = by[{d.bracket, d.rung}];
    r.step = d.step;
    ++r.reached;
    r.stopped += d.stop;
    if (!std::isnan(d.cut)) r.cut = d.cut;
  }
  std::string out = "rungs:\n";
  for (const auto& [key, r] : by)
    out += "  " + (by.rbegin()->first.first > 0 ? "bracket " + std::to_string(key.first) + " " : std::string()) + "rung " +
           std::to_string(key.second) + " (step " + std::to_string(r.step) + "): " + std::to_string(r.reached) +
           " reached, " + std::to_string(r.reached - r.stopped) + " go on, " + std::to_string(r.stopped) + " stopped" +
           (std::isnan(r.cut) ? "" : "; cut " + loss_text(r.cut) + " at the last decision") + "\n";
  return out;
}

// "14:02:11", local time.
std::string time_of_day(double t) {
  const std::time_t s = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&s, &tm);
  char b[16];
  std::strftime(b, sizeof b, "%H:%M:%S", &tm);
  return b;
}

// Each job's planned strategy and start in a plan.json document: "single x1
// on local, starts at 12.3 s".
std::map<std::string, std::string> planned(const std::string& plan_json) {
  std::map<std::string, std::string> out;
  const auto doc = nlohmann::json::parse(plan_json, nullptr, false);
  if (!doc.is_object() || !doc.contains("jobs")) return out;
  for (const auto& j : doc["jobs"]) {
    if (!j.is_object() || !j.contains("job")) continue;
    const size_t group = 1 + (j.contains("fused_with") && j["fused_with"].is_array() ? j["fused_with"].size() : 0);
    out[j.value("job", "")] = j.value("technique", "?") + " x" + std::to_string(j.value("devices", int64_t(0))) +
                              (group > 1 ? " (" + std::to_string(group) + " jobs)" : "") + " on " + j.value("node", "?") +
                              ", starts at " + human_duration(j.value("start_s", 0.0));
  }
  return out;
}

// The run's last five events with their times ("" when none).
std::string last_events_text(const RunState& st) {
  const auto events = st.events();
  if (events.empty()) return "";
  std::string out = "last events:\n";
  for (size_t i = events.size() > 5 ? events.size() - 5 : 0; i < events.size(); ++i)
    out += "  " + time_of_day(events[i].time) + " " + events[i].kind + (events[i].job.empty() ? "" : " " + events[i].job) +
           ": " + events[i].message + "\n";
  return out;
}

// A run with no job records yet: measuring before its first plan (its
// runner alive), or stopped there. The jobs it will plan come from meta
// job_hashes; the trials from meta `measuring` (what the runner last wrote).
std::string measuring_text(const RunState& st, const std::string& run_dir, bool runner, const Terminal& term) {
  std::vector<std::string> ids;
  if (const auto text = st.meta("job_hashes")) {
    const auto doc = nlohmann::json::parse(*text, nullptr, false);
    if (doc.is_object())
      for (const auto& [id, hash] : doc.items()) ids.push_back(id);
  }
  int64_t done = 0, total = 0;
  double eta = -1;
  if (const auto m = st.meta("measuring"); m && !m->empty()) {
    const auto doc = nlohmann::json::parse(*m, nullptr, false);
    if (doc.is_object()) {
      done = doc.value("done", int64_t{0});
      total = doc.value("total", int64_t{0});
      eta = doc.value("eta_s", -1.0);
    }
  }
  std::string out = "run " + run_dir + " (workload " + st.meta("workload").value_or("?") + "): ";
  const std::string trials = total > 0 ? std::to_string(done) + " of " + count_text(total, "trial", "trials") : "";
  const std::string go_on = "saturn run " + st.meta("workload_path").value_or("W.yaml") + " --run-dir " + run_dir;
  if (runner) {
    out += "measuring before the first plan" + (trials.empty() ? std::string() : ": " + trials + " done") +
           (eta >= 0 ? ", about " + human_duration(eta) + " left" : "") + "; then " +
           count_text(static_cast<int64_t>(ids.size()), "job is", "jobs are") + " planned\n";
  } else {
    out += "stopped before its first plan" + (trials.empty() ? std::string() : ", while measuring (" + trials + " done)") +
           "; what was measured is kept in the profile store and not measured again\n";
  }
  if (!ids.empty()) {
    Table t;
    t.column("job").column("status");
    for (const auto& id : ids) t.row({id, runner ? "pending: planned after measuring" : "pending"});
    out += t.render(term);
  }
  out += last_events_text(st);
  if (!runner) out += "go on: " + go_on + "\n";
  return out;
}

}  // namespace

std::string status_text(const RunState& st, const std::string& run_dir, const Terminal& term) {
  const auto jobs = st.jobs();
  const auto attempts = st.attempts();
  std::map<std::string, int> tries;
  std::map<std::string, const AttemptRecord*> latest;
  for (const auto& a : attempts) {
    ++tries[a.job];
    latest[a.job] = &a;
  }
  // A pending job whose last attempt stopped (a signal, a checkpoint kept) is "stopped".
  auto stopped = [&](const JobRecord& j) {
    return j.status == JobStatus::Pending && latest.count(j.id) && latest[j.id]->outcome == "stopped";
  };
  const bool runner = RunLock::held(run_dir);  // a runner has the run now
  if (jobs.empty()) return measuring_text(st, run_dir, runner, term);
  // Where each job is: a stopped one at its checkpoint, a running one where
  // it last logged; the header's figure sums the same steps as the rows.
  std::map<std::string, std::optional<run_files::MetricsLine>> logged;
  std::map<std::string, int64_t> at;
  std::map<std::string, int> count;
  int64_t steps = 0, done_steps = 0;
  for (const auto& j : jobs) {
    ++count[stopped(j) ? "stopped" : j.status == JobStatus::Stopped ? "stopped early" : job_status_name(j.status)];
    logged[j.id] = j.status == JobStatus::Done ? std::nullopt : last_logged(run_dir, j.id);
    at[j.id] = stopped(j) ? std::max<int64_t>(latest[j.id]->step_end, 0)
                          : std::max(j.steps_done, logged[j.id] ? logged[j.id]->step : 0);
    steps += j.steps_total;
    done_steps += std::min(at[j.id], j.steps_total);
  }
  std::string out = "run " + run_dir + " (workload " + st.meta("workload").value_or("?") + "): " +
                    count_text(static_cast<int64_t>(jobs.size()), "job", "jobs") + ": " + std::to_string(count["done"]) + " done, " +
                    std::to_string(count["running"]) + " running, " +
                    (count["stopped"] ? std::to_string(count["stopped"]) + " stopped, " : "") +
                    (count["stopped early"] ? std::to_string(count["stopped early"]) + " stopped early, " : "") +
                    std::to_string(count["pending"]) + " pending, " + std::to_string(count["failed"]) + " failed; " +
                    std::to_string(steps > 0 ? 100 * done_steps / steps : 0) + "% of all steps\n";
  const auto plans = st.plans();
  if (!plans.empty())
    out += "plan v" + std::to_string(plans.back().version) + " (" + plans.back().reason + "), makespan " +
           human_duration(plans.back().makespan) + "; " + std::to_string(plans.size()) + " version(s)\n";
  // The measurement before planning counts too: the time end to end.
  if (const auto m = st.meta("measure_s"); m && !plans.empty()) {
    const double measured = std::atof(m->c_str());
    const int64_t trials = std::atoll(st.meta("measure_trials").value_or("0").c_str());
    out += (trials > 0 ? "measured " + std::to_string(trials) + (trials == 1 ? " trial" : " trials") + " in " +
                             human_duration(measured) + " before planning"
                       : std::string("measured nothing before planning (estimates, then the jobs' own steps)")) +
           "; end to end about " + human_duration(measured + plans.front().makespan) + " as first planned\n";
  }
  const auto latest_plan = st.latest_plan();
  const auto plan = latest_plan ? planned(latest_plan->json) : std::map<std::string, std::string>{};
  Table t;
  t.column("job").column("status").column("progress", Table::Align::Right).column("attempts", Table::Align::Right)
      .column("strategy").column("loss", Table::Align::Right);
  for (const auto& j : jobs) {
    const auto& logged_step = logged[j.id];
    const int64_t here = at[j.id];
    const int pct = j.steps_total > 0 ? static_cast<int>(100 * std::min(here, j.steps_total) / j.steps_total) : 0;
    std::string status = job_status_name(j.status);
    if (j.status == JobStatus::Failed || j.status == JobStatus::Stopped) status = status_cell(j);
    if (stopped(j)) status = "stopped at step " + std::to_string(here);
    std::string strategy = j.strategy;
    if (j.status == JobStatus::Pending && !stopped(j) && plan.count(j.id)) strategy = "planned: " + plan.at(j.id);
    double loss = std::isnan(j.eval_loss) ? j.final_loss : j.eval_loss;
    if (std::isnan(loss) && logged_step) loss = logged_step->loss;  // the last logged training loss
    t.row({j.id, status, std::to_string(here) + "/" + std::to_string(j.steps_total) + " (" + std::to_string(pct) + "%)",
           std::to_string(tries[j.id]), strategy, loss_text(loss)});
  }
  out += t.render(term);
  out += rungs_text(st.rungs());
  out += last_events_text(st);
  const int unfinished = count["stopped"] + count["pending"] + count["failed"];  // not those stopped early
  if (!runner && count["running"] == 0 && unfinished > 0)
    out += "resume: saturn run " + st.meta("workload_path").value_or("W.yaml") + " --run-dir " + run_dir + "\n";
  return out;
}

}  // namespace saturn::cmd
