#include "profile/store.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "exec/sqlite.h"

namespace saturn {
namespace {

constexpr const char* kColumns =
    "shape, technique, knobs, device, devices, threads, shape_id, source, feasible, reason, step_time, spread, "
    "timed_steps, peak_memory, accounted_memory, measured_at, version, startup, est_ideal, est_floor";

ProfileEntry read_row(const Statement& s) {
  ProfileEntry e;
  e.key.shape = s.col_text(0);
  e.key.technique = parse_technique(s.col_text(1)).value_or(Technique::Single);
  e.key.knobs = s.col_text(2);
  e.key.device = s.col_text(3);
  e.key.devices = s.col_int(4);
  e.key.threads = s.col_int(5);
  e.shape_id = s.col_text(6);
  e.source = s.col_text(7) == "estimated" ? ProfileSource::Estimated : ProfileSource::Measured;
  e.feasible = s.col_int(8) != 0;
  e.reason = s.col_text(9);
  e.step_time = s.col_real(10);
  e.spread = s.col_real(11);
  e.timed_steps = s.col_int(12);
  e.peak_memory = s.col_int(13);
  e.accounted_memory = s.col_int(14);
  e.measured_at = s.col_real(15);
  e.version = s.col_text(16);
  e.startup = s.col_real(17);
  e.est_ideal = s.col_real(18);
  e.est_floor = s.col_real(19);
  return e;
}

}  // namespace

std::string ProfileStore::default_path() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/saturn/profiles.db";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.cache/saturn/profiles.db";
}

ProfileStore::ProfileStore(const std::string& path) : db_(std::make_unique<Sqlite>(path, "profile store")) { migrate(); }

ProfileStore::ProfileStore(std::unique_ptr<Sqlite> db) : db_(std::move(db)) {}

std::unique_ptr<ProfileStore> ProfileStore::read_only(const std::string& path) {
  if (std::filesystem::exists(path))
    return std::unique_ptr<ProfileStore>(new ProfileStore(std::make_unique<Sqlite>(path, "profile store", true)));
  auto empty = std::unique_ptr<ProfileStore>(new ProfileStore(std::make_unique<Sqlite>(":memory:", "profile store")));
  empty->migrate();
  return empty;
}

void ProfileStore::migrate() {
  if (db_->schema_version(kSchemaVersion) == kSchemaVersion) return;
  // Another saturn may be creating or upgrading the same store right now:
  // take the write lock first (waiting for it), then look again, so each
  // step runs once and no two deferred transactions deadlock on the upgrade.
  db_->exec("BEGIN IMMEDIATE");
  try {
    const int version = db_->schema_version(kSchemaVersion);
    if (version < 1)
      db_->exec(
          "CREATE TABLE IF NOT EXISTS profiles ("
          " shape TEXT NOT NULL, technique TEXT NOT NULL, knobs TEXT NOT NULL, device TEXT NOT NULL,"
          " devices INTEGER NOT NULL, threads INTEGER NOT NULL, shape_id TEXT NOT NULL, source TEXT NOT NULL,"
          " feasible INTEGER NOT NULL, reason TEXT NOT NULL, step_time REAL NOT NULL, spread REAL NOT NULL,"
          " timed_steps INTEGER NOT NULL, peak_memory INTEGER NOT NULL, accounted_memory INTEGER NOT NULL,"
          " measured_at REAL NOT NULL, version TEXT NOT NULL,"
          " PRIMARY KEY (shape, technique, knobs, device, devices, threads));"
          "INSERT OR REPLACE INTO meta VALUES ('schema_version', '1');");
    if (version < 2)  // v2: the measured worker startup
      db_->exec(
          "ALTER TABLE profiles ADD COLUMN startup REAL NOT NULL DEFAULT 0;"
          "INSERT OR REPLACE INTO meta VALUES ('schema_version', '2');");
    if (version < 3)  // v3: the estimator's raw figures at measurement, for calibration across shapes
      db_->exec(
          "ALTER TABLE profiles ADD COLUMN est_ideal REAL NOT NULL DEFAULT 0;"
          "ALTER TABLE profiles ADD COLUMN est_floor REAL NOT NULL DEFAULT 0;"
          "INSERT OR REPLACE INTO meta VALUES ('schema_version', '3');");
    db_->exec("COMMIT");
  } catch (...) {
    try {
      db_->exec("ROLLBACK");
    } catch (const Error&) {
    }
    throw;
  }
}

ProfileStore::~ProfileStore() = default;

const std::string& ProfileStore::path() const { return db_->path(); }

std::optional<ProfileEntry> ProfileStore::get(const ProfileKey& k) const {
  Statement s(*db_,
              (std::string("SELECT ") + kColumns +
               " FROM profiles WHERE shape=?1 AND technique=?2 AND knobs=?3 AND device=?4 AND devices=?5 AND threads=?6")
                  .c_str());
  s.text(1, k.shape).text(2, technique_name(k.technique)).text(3, k.knobs).text(4, k.device).integer(5, k.devices).integer(6, k.threads);
  if (!s.step()) return std::nullopt;
  return read_row(s);
}

void ProfileStore::put(const ProfileEntry& e) {
  Statement s(*db_,
              (std::string("INSERT OR REPLACE INTO profiles (") + kColumns +
               ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)")
                  .c_str());
  s.text(1, e.key.shape).text(2, technique_name(e.key.technique)).text(3, e.key.knobs).text(4, e.key.device);
  s.integer(5, e.key.devices).integer(6, e.key.threads).text(7, e.shape_id).text(8, profile_source_name(e.source));
  s.integer(9, e.feasible ? 1 : 0).text(10, e.reason).real(11, e.step_time).real(12, e.spread);
  s.integer(13, e.timed_steps).integer(14, e.peak_memory).integer(15, e.accounted_memory);
  s.real(16, e.measured_at).text(17, e.version).real(18, e.startup).real(19, e.est_ideal).real(20, e.est_floor);
  s.step();
}

std::vector<ProfileEntry> ProfileStore::entries(const std::vector<std::string>& shapes) const {
  std::vector<ProfileEntry> out;
  Statement s(*db_, (std::string("SELECT ") + kColumns + " FROM profiles ORDER BY shape_id, shape, technique, device, devices, threads, knobs"));
  while (s.step()) {
    ProfileEntry e = read_row(s);
    if (shapes.empty() || std::find(shapes.begin(), shapes.end(), e.key.shape) != shapes.end()) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace saturn
