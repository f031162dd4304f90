#include "exec/state.h"

#include "core/error.h"
#include "exec/sqlite.h"

namespace saturn {

const char* job_status_name(JobStatus s) {
  switch (s) {
    case JobStatus::Pending: return "pending";
    case JobStatus::Running: return "running";
    case JobStatus::Done: return "done";
    case JobStatus::Failed: return "failed";
    case JobStatus::Stopped: return "stopped";
  }
  return "?";
}

namespace {

JobStatus parse_status(const std::string& s) {
  if (s == "running") return JobStatus::Running;
  if (s == "done") return JobStatus::Done;
  if (s == "failed") return JobStatus::Failed;
  if (s == "stopped") return JobStatus::Stopped;
  return JobStatus::Pending;
}

// NaN is stored as NULL (SQLite turns NaN into NULL anyway).
void bind_real_or_null(Statement& s, int i, double v) {
  if (std::isnan(v)) s.null(i);
  else s.real(i, v);
}
double col_real_or_nan(const Statement& s, int i) { return s.col_null(i) ? NAN : s.col_real(i); }

constexpr const char* kRungsTable =
    "CREATE TABLE IF NOT EXISTS rungs (seq INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL,"
    " bracket INTEGER NOT NULL, rung INTEGER NOT NULL, step INTEGER NOT NULL, metric REAL, stop INTEGER NOT NULL,"
    " rank INTEGER NOT NULL, n INTEGER NOT NULL, keep INTEGER NOT NULL, cut REAL, reason TEXT NOT NULL,"
    " time REAL NOT NULL);";

constexpr const char* kAttemptColumns =
    "id, job, number, plan_version, technique, devices, node, device_ids, pid, started, ended, exit_code, outcome, "
    "step_start, step_end";

AttemptRecord read_attempt(const Statement& s) {
  AttemptRecord a;
  a.id = s.col_int(0);
  a.job = s.col_text(1);
  a.number = s.col_int(2);
  a.plan_version = s.col_int(3);
  a.technique = s.col_text(4);
  a.devices = s.col_int(5);
  a.node = s.col_text(6);
  a.device_ids = s.col_text(7);
  a.pid = s.col_int(8);
  a.started = s.col_real(9);
  a.ended = col_real_or_nan(s, 10);
  a.exit_code = static_cast<int>(s.col_int(11));
  a.outcome = s.col_text(12);
  a.step_start = s.col_int(13);
  a.step_end = s.col_int(14);
  return a;
}

}  // namespace

RunState::RunState(const std::string& path, bool read_only) : db_(std::make_unique<Sqlite>(path, "run state", read_only)) {
  const int version = db_->schema_version(kSchemaVersion);
  has_tokens_ = version >= 2;
  has_rungs_ = version >= 3;
  if (read_only && version == 0)
    throw no_input_error(path + ": the run recorded nothing yet (it stopped, or is starting, before planning its jobs)");
  if (read_only || version >= kSchemaVersion) return;
  has_tokens_ = has_rungs_ = true;
  if (version >= 1) {  // a run made by an older saturn: 1 lacks jobs.tokens, 1 and 2 the rungs
    db_->exec(std::string("BEGIN;") + (version == 1 ? "ALTER TABLE jobs ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0;" : "") +
              kRungsTable + "INSERT OR REPLACE INTO meta VALUES ('schema_version', '3');COMMIT;");
    return;
  }
  db_->exec(
      std::string("BEGIN;") + kRungsTable +
      "CREATE TABLE IF NOT EXISTS jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
      " status TEXT NOT NULL, steps_total INTEGER NOT NULL, steps_done INTEGER NOT NULL, restarts INTEGER NOT NULL,"
      " final_loss REAL, eval_loss REAL, wall_s REAL NOT NULL, strategy TEXT NOT NULL, message TEXT NOT NULL,"
      " tokens INTEGER NOT NULL DEFAULT 0);"
      "CREATE TABLE IF NOT EXISTS attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, job TEXT NOT NULL,"
      " number INTEGER NOT NULL, plan_version INTEGER NOT NULL, technique TEXT NOT NULL, devices INTEGER NOT NULL,"
      " node TEXT NOT NULL, device_ids TEXT NOT NULL, pid INTEGER NOT NULL, started REAL NOT NULL, ended REAL,"
      " exit_code INTEGER NOT NULL, outcome TEXT NOT NULL, step_start INTEGER NOT NULL, step_end INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS plans (version INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL,"
      " makespan REAL NOT NULL, reason TEXT NOT NULL, json TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL,"
      " kind TEXT NOT NULL, job TEXT NOT NULL, message TEXT NOT NULL);"
      "INSERT OR REPLACE INTO meta VALUES ('schema_version', '3');"
      "COMMIT;");
}

void RunState::add_rung(const RungDecision& d, double time) {
  Statement s(*db_,
              "INSERT INTO rungs (job, bracket, rung, step, metric, stop, rank, n, keep, cut, reason, time)"
              " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)");
  s.text(1, d.job).integer(2, d.bracket).integer(3, d.rung).integer(4, d.step);
  bind_real_or_null(s, 5, std::isfinite(d.metric) ? d.metric : NAN);
  s.integer(6, d.stop ? 1 : 0).integer(7, d.rank).integer(8, d.n).integer(9, d.keep);
  bind_real_or_null(s, 10, std::isfinite(d.cut) ? d.cut : NAN);
  s.text(11, d.reason).real(12, time).run();
}

std::vector<RungDecision> RunState::rungs() const {
  std::vector<RungDecision> out;
  if (!has_rungs_) return out;
  Statement s(*db_, "SELECT job, bracket, rung, step, metric, stop, rank, n, keep, cut, reason FROM rungs ORDER BY seq");
  while (s.step()) {
    RungDecision d;
    d.job = s.col_text(0);
    d.bracket = s.col_int(1);
    d.rung = s.col_int(2);
    d.step = s.col_int(3);
    d.metric = s.col_null(4) ? INFINITY : s.col_real(4);  // not finite: ranks last, as when decided
    d.stop = s.col_int(5) != 0;
    d.rank = s.col_int(6);
    d.n = s.col_int(7);
    d.keep = s.col_int(8);
    d.cut = col_real_or_nan(s, 9);
    d.reason = s.col_text(10);
    out.push_back(std::move(d));
  }
  return out;
}

RunState::~RunState() = default;

const std::string& RunState::path() const { return db_->path(); }

std::optional<std::string> RunState::meta(const std::string& key) const {
  Statement s(*db_, "SELECT value FROM meta WHERE key = ?1");
  s.text(1, key);
  if (!s.step()) return std::nullopt;
  return s.col_text(0);
}

void RunState::set_meta(const std::string& key, const std::string& value) {
  Statement s(*db_, "INSERT OR REPLACE INTO meta VALUES (?1, ?2)");
  s.text(1, key).text(2, value).run();
}

void RunState::remove_job(const std::string& id) {
  Statement s(*db_, "DELETE FROM jobs WHERE id = ?1");
  s.text(1, id).run();
}

void RunState::put_job(const JobRecord& j) {
  Statement s(*db_,
              "INSERT INTO jobs (id, status, steps_total, steps_done, restarts, final_loss, eval_loss, wall_s, strategy,"
              " message, tokens) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11) ON CONFLICT(id) DO UPDATE SET status=?2,"
              " steps_total=?3, steps_done=?4, restarts=?5, final_loss=?6, eval_loss=?7, wall_s=?8, strategy=?9,"
              " message=?10, tokens=?11");
  s.text(1, j.id).text(2, job_status_name(j.status)).integer(3, j.steps_total).integer(4, j.steps_done);
  s.integer(5, j.restarts);
  bind_real_or_null(s, 6, j.final_loss);
  bind_real_or_null(s, 7, j.eval_loss);
  s.real(8, j.wall_s).text(9, j.strategy).text(10, j.message).integer(11, j.tokens).run();
}

std::vector<JobRecord> RunState::jobs() const {
  std::vector<JobRecord> out;
  Statement s(*db_,
              std::string("SELECT id, status, steps_total, steps_done, restarts, final_loss, eval_loss, wall_s, strategy,"
                          " message, ") + (has_tokens_ ? "tokens" : "0") + " FROM jobs ORDER BY seq");
  while (s.step()) {
    JobRecord j;
    j.id = s.col_text(0);
    j.status = parse_status(s.col_text(1));
    j.steps_total = s.col_int(2);
    j.steps_done = s.col_int(3);
    j.restarts = s.col_int(4);
    j.final_loss = col_real_or_nan(s, 5);
    j.eval_loss = col_real_or_nan(s, 6);
    j.wall_s = s.col_real(7);
    j.strategy = s.col_text(8);
    j.message = s.col_text(9);
    j.tokens = s.col_int(10);
    out.push_back(std::move(j));
  }
  return out;
}

int64_t RunState::begin_attempt(const AttemptRecord& a) {
  Statement s(*db_,
              "INSERT INTO attempts (job, number, plan_version, technique, devices, node, device_ids, pid, started,"
              " ended, exit_code, outcome, step_start, step_end) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,NULL,-1,"
              "'running',?10,-1)");
  s.text(1, a.job).integer(2, a.number).integer(3, a.plan_version).text(4, a.technique).integer(5, a.devices);
  s.text(6, a.node).text(7, a.device_ids).integer(8, a.pid).real(9, a.started).integer(10, a.step_start).run();
  return db_->last_insert_id();
}

void RunState::end_attempt(int64_t id, double ended, int exit_code, const std::string& outcome, int64_t step_end) {
  Statement s(*db_, "UPDATE attempts SET ended=?2, exit_code=?3, outcome=?4, step_end=?5 WHERE id=?1");
  s.integer(1, id).real(2, ended).integer(3, exit_code).text(4, outcome).integer(5, step_end).run();
}

std::vector<AttemptRecord> RunState::attempts(const std::string& job) const {
  std::vector<AttemptRecord> out;
  Statement s(*db_, std::string("SELECT ") + kAttemptColumns + " FROM attempts" +
                        (job.empty() ? "" : " WHERE job = ?1") + " ORDER BY id");
  if (!job.empty()) s.text(1, job);
  while (s.step()) out.push_back(read_attempt(s));
  return out;
}

int64_t RunState::add_plan(const PlanRecord& p) {
  Statement s(*db_, "INSERT INTO plans (created, makespan, reason, json) VALUES (?1,?2,?3,?4)");
  s.real(1, p.created).real(2, p.makespan).text(3, p.reason).text(4, p.json).run();
  return db_->last_insert_id();
}

std::optional<PlanRecord> RunState::latest_plan() const {
  Statement s(*db_, "SELECT version, created, makespan, reason, json FROM plans ORDER BY version DESC LIMIT 1");
  if (!s.step()) return std::nullopt;
  return PlanRecord{s.col_int(0), s.col_real(1), s.col_real(2), s.col_text(3), s.col_text(4)};
}

std::vector<PlanRecord> RunState::plans(bool with_json) const {
  std::vector<PlanRecord> out;
  Statement s(*db_, with_json ? "SELECT version, created, makespan, reason, json FROM plans ORDER BY version"
                              : "SELECT version, created, makespan, reason FROM plans ORDER BY version");
  while (s.step()) out.push_back({s.col_int(0), s.col_real(1), s.col_real(2), s.col_text(3), with_json ? s.col_text(4) : ""});
  return out;
}

void RunState::event(double time, const std::string& kind, const std::string& job, const std::string& message) {
  Statement s(*db_, "INSERT INTO events (time, kind, job, message) VALUES (?1,?2,?3,?4)");
  s.real(1, time).text(2, kind).text(3, job).text(4, message).run();
}

std::vector<EventRecord> RunState::events(int64_t after_id) const {
  std::vector<EventRecord> out;
  Statement s(*db_, "SELECT id, time, kind, job, message FROM events WHERE id > ?1 ORDER BY id");
  s.integer(1, after_id);
  while (s.step()) out.push_back({s.col_int(0), s.col_real(1), s.col_text(2), s.col_text(3), s.col_text(4)});
  return out;
}

}  // namespace saturn
