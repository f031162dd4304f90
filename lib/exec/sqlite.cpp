#include "exec/sqlite.h"

#include <sqlite3.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "core/error.h"

namespace saturn {

namespace {
// What to do with a file that is not a saturn database.
constexpr const char* kMoveAside = "; move it aside and run the same command to start a new one";

// A file path as a SQLite URI's path: '%', '?' and '#' escaped.
std::string uri_path(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      static const char* hex = "0123456789ABCDEF";
      out += '%';
      out += hex[(static_cast<unsigned char>(c) >> 4) & 0xf];
      out += hex[static_cast<unsigned char>(c) & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}
}  // namespace

Sqlite::Sqlite(const std::string& path, const std::string& what, bool read_only) : path_(path), what_(what) {
  if (!read_only) {
    std::error_code ec;
    const auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    if (ec) throw Error(ErrorKind::Unavailable, path + ": cannot create the " + what + "'s folder: " + ec.message());
  } else if (!std::filesystem::exists(path)) {
    throw no_input_error(path + ": no such " + what);
  }
  // A reader leaves the file as it was: with no write-ahead log beside it
  // (no writer has it open, nothing is pending) it is read as an immutable
  // file, which creates no -shm or -wal; otherwise the log is read too.
  const bool immutable = read_only && !std::filesystem::exists(path + "-wal");
  const int flags = read_only ? SQLITE_OPEN_READONLY | (immutable ? SQLITE_OPEN_URI : 0)
                              : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const std::string name = immutable ? "file:" + uri_path(path) + "?mode=ro&immutable=1" : path;
  if (sqlite3_open_v2(name.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ErrorKind::Unavailable, path + ": cannot open the " + what + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    if (!read_only) exec_waiting("PRAGMA journal_mode=WAL");
    // Another program's database (tables, none of them `meta`) is refused, not written into.
    {  // finalized before the write below: a statement left open holds its read snapshot, and a write
       // from an old snapshot after another opener's write is refused for good (SQLITE_BUSY_SNAPSHOT)
      Statement t(*this, "SELECT count(*), coalesce(sum(name = 'meta'), 0) FROM sqlite_master WHERE type = 'table'");
      if (t.step() && t.col_int(0) > 0 && t.col_int(1) == 0)
        throw Error(ErrorKind::Data, path + ": not a saturn " + what + " (another program's database: no meta table)" +
                                         kMoveAside);
    }
    if (!read_only) exec_waiting("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
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
  const int code = sqlite3_errcode(db_) & 0xff, sys = sqlite3_system_errno(db_);
  if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
    throw Error(ErrorKind::Data, path_ + ": not a saturn " + what_ + ", or a damaged one (" + msg + ")" + kMoveAside);
  // Full (the disk, a quota, or SQLite's own limit): the transaction was
  // rolled back, so the file is as it was; once there is room, it goes on.
  if (code == SQLITE_FULL || sys == ENOSPC || sys == EDQUOT)
    throw io_error(path_, what_ + ": " + doing + ": " + msg, sys == EDQUOT ? EDQUOT : ENOSPC);
  if (code == SQLITE_IOERR && sys != 0) throw io_error(path_, what_ + ": " + doing + ": " + msg, sys);
  throw Error(ErrorKind::Unavailable, path_ + ": " + what_ + ": " + doing + ": " + msg);
}

void Sqlite::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    sqlite3_free(err);
    fail("exec");
  }
}

void Sqlite::exec_waiting(const std::string& sql) {
  // SQLite answers SQLITE_BUSY at once, without its busy wait, where waiting
  // could deadlock: two connections opening a new file together, each
  // holding a read lock and wanting to write. One statement on its own
  // (autocommit) can simply be tried again, for as long as the busy timeout.
  for (int waited_ms = 0;; waited_ms += 20) {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= 10000) fail("exec");
    sqlite3_sleep(20);
  }
}

int Sqlite::schema_version(int newest) {
  int version = 0;
  {
    Statement m(*this, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
    if (!m.step() || m.col_int(0) == 0) return 0;  // opened read-only before anything was written
  }
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
