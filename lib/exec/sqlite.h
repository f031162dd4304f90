// Sqlite: a SQLite database file with saturn's error policy, shared by the
// profile store and the run state store. Opens (creating the file and its
// folder) in WAL mode with a busy timeout, and checks a versioned schema
// (table `meta`, key `schema_version`): a file written by a newer schema is
// refused, not rewritten. Every failure is a saturn::Error naming the file
// and `what` the file is ("profile store", "run state"): Data when it is not
// such a file (not SQLite, damaged, or another program's tables), TempFail
// when a write fails for lack of space (with what to do) or an I/O error,
// Unavailable when it cannot be opened or used otherwise. Statement is
// a prepared statement freed on scope exit. Not thread safe; one per thread.
#pragma once

#include <cstdint>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace saturn {

class Sqlite {
 public:
  // read_only: open an existing file without creating or migrating it, and
  // without writing anything (no -shm or -wal beside it when none was there).
  Sqlite(const std::string& path, const std::string& what, bool read_only = false);
  ~Sqlite();
  Sqlite(const Sqlite&) = delete;
  Sqlite& operator=(const Sqlite&) = delete;

  // Runs one or more statements with no results.
  void exec(const std::string& sql);
  // One statement outside a transaction, tried again while the file is busy
  // (up to 10 s): for what every opener runs on a file others may be opening.
  void exec_waiting(const std::string& sql);
  // The schema version in `meta` (0 for a new file). Throws Data when it is
  // above `newest` (a newer saturn wrote it).
  int schema_version(int newest);
  int64_t last_insert_id() const;
  [[noreturn]] void fail(const std::string& doing) const;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  const std::string& what() const { return what_; }

 private:
  std::string path_, what_;
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(const Sqlite& db, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds parameter i (1-based).
  Statement& text(int i, const std::string& v);
  Statement& integer(int i, int64_t v);
  Statement& real(int i, double v);
  Statement& null(int i);
  bool step();  // true while rows come; false when done
  void run() { while (step()) {} }
  std::string col_text(int i) const;
  int64_t col_int(int i) const;
  double col_real(int i) const;
  bool col_null(int i) const;

 private:
  const Sqlite& db_;
  sqlite3_stmt* s_ = nullptr;
};

}  // namespace saturn
