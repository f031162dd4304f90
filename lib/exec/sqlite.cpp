#include "exec/sqlite.h"

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>

#include "core/error.h"

namespace saturn {

Sqlite::Sqlite(const std::string& path, const std::string& what, bool read_only) : path_(path), what_(what) {
  if (!read_only) {
    std::error_code ec;
    const auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    if (ec) throw Error(ErrorKind::Unavailable, path + ": cannot create the " + what + "'s folder: " + ec.message());
  } else if (!std::filesystem::exists(path)) {
    throw no_input_error(path + ": no such " + what);
  }
  const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ErrorKind::Unavailable, path + ": cannot open the " + what + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 10000);
  if (read_only) return;
  try {
    exec("PRAGMA journal_mode=WAL");
    exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Sqlite::~Sqlite() {
  if (db_) sqlite3_close(db_);
}

void Sqlite::fail(const std::string& doing) const {
  const std::string msg = sqlite3_errmsg(db_);
  const bool not_db = msg.find("not a database") != std::string::npos;
  throw Error(not_db ? ErrorKind::Data : ErrorKind::Unavailable,
              path_ + ": " + (not_db ? "not a saturn " + what_ + " (" + msg + ")" : what_ + ": " + doing + ": " + msg));
}

void Sqlite::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    sqlite3_free(err);
    fail("exec");
  }
}

int Sqlite::schema_version(int newest) {
  int version = 0;
  {
    Statement s(*this, "SELECT value FROM meta WHERE key = 'schema_version'");
    if (s.step()) version = std::atoi(s.col_text(0).c_str());
  }
  if (version > newest)
    throw Error(ErrorKind::Data, path_ + ": " + what_ + " schema " + std::to_string(version) +
                                     " was written by a newer saturn (this one reads " + std::to_string(newest) + ")");
  return version;
}

int64_t Sqlite::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

Statement::Statement(const Sqlite& db, const std::string& sql) : db_(db) {
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &s_, nullptr) != SQLITE_OK) db.fail("prepare");
}
Statement::~Statement() { sqlite3_finalize(s_); }
Statement& Statement::text(int i, const std::string& v) {
  sqlite3_bind_text(s_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::integer(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Statement& Statement::real(int i, double v) {
  sqlite3_bind_double(s_, i, v);
  return *this;
}
Statement& Statement::null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}
bool Statement::step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail("step");
}
std::string Statement::col_text(int i) const {
  auto p = sqlite3_column_text(s_, i);
  return p ? reinterpret_cast<const char*>(p) : "";
}
int64_t Statement::col_int(int i) const { return sqlite3_column_int64(s_, i); }
double Statement::col_real(int i) const { return sqlite3_column_double(s_, i); }
bool Statement::col_null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }

}  // namespace saturn
