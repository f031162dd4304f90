// state.db that cannot be used: a file that is not SQLite, a damaged one,
// another program's database, and a full one. Each is one line with the
// path, an exit code and what to do; a full one is left as it was and goes
// on once there is room.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "core/error.h"
#include "exec/sqlite.h"
#include "exec/state.h"
#include "temp_dir.h"

using namespace saturn;
using saturn::test::TempDir;

namespace {

// The error a callable throws (it must throw saturn::Error).
Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no error");
  return internal_error("");
}

void sql(const std::string& path, const std::string& statements) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, statements.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

}  // namespace

TEST_CASE("state.db: not SQLite, damaged, or another program's is one line, exit 65, with what to do") {
  TempDir d("state-errors");
  const std::string path = (d.path / "state.db").string();
  const std::string aside = "; move it aside and run the same command to start a new one";
  SECTION("text") {
    std::ofstream(path) << "these are my notes, not a database; long enough to fill a header of one hundred bytes....\n";
    for (bool read_only : {false, true}) {
      const Error e = error_of([&] { RunState st(path, read_only); });
      CHECK(e.exit_code() == 65);
      CHECK(std::string(e.what()) == path + ": not a saturn run state, or a damaged one (file is not a database)" + aside);
    }
  }
  SECTION("damaged: a run state whose pages were overwritten") {
    { RunState st(path); }
    {
      std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(100);
      const std::string junk(3000, '\x5a');
      f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    const Error e = error_of([&] {
      RunState st(path);
      st.jobs();
    });
    CHECK(e.exit_code() == 65);
    CHECK(std::string(e.what()).rfind(path + ": not a saturn run state, or a damaged one (", 0) == 0);
  }
  SECTION("another program's database is refused, and left as it was") {
    sql(path, "CREATE TABLE songs (title TEXT); INSERT INTO songs VALUES ('so what');");
    const Error e = error_of([&] { RunState st(path); });
    CHECK(e.exit_code() == 65);
    CHECK(std::string(e.what()) == path + ": not a saturn run state (another program's database: no meta table)" + aside);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'meta'", -1, &s, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    CHECK(sqlite3_column_int(s, 0) == 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
  }
}

TEST_CASE("state.db: a full database is one line, exit 75, what to do; nothing half-written, it goes on with room") {
  TempDir d("state-full");
  const std::string path = (d.path / "state.db").string();
  Sqlite db(path, "run state");
  db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)");
  db.exec("INSERT INTO t VALUES (1, zeroblob(1000))");
  db.exec("PRAGMA max_page_count = 8");  // SQLite's own limit: full as a disk is
  const Error e = error_of([&] { db.exec("BEGIN; INSERT INTO t VALUES (2, zeroblob(100)); INSERT INTO t VALUES (3, zeroblob(100000)); COMMIT"); });
  CHECK(e.exit_code() == 75);
  CHECK(std::string(e.what()) == path + ": run state: exec: database or disk is full: No space left on device "
                                        "(free space there, then run the same command: it resumes)");
  if (!sqlite3_get_autocommit(db.handle())) db.exec("ROLLBACK");  // SQLite may have rolled it back itself
  auto count = [&] {
    Statement s(db, "SELECT count(*) FROM t");
    REQUIRE(s.step());
    return s.col_int(0);
  };
  CHECK(count() == 1);  // the transaction left nothing
  db.exec("PRAGMA max_page_count = 1000000");
  db.exec("INSERT INTO t VALUES (3, zeroblob(100000))");
  CHECK(count() == 2);
}

TEST_CASE("state.db: a run that recorded nothing yet is one line for status (exit 66), not a crash") {
  TempDir d("state-empty");
  const std::string path = (d.path / "state.db").string();
  const std::string line = path + ": the run recorded nothing yet (it stopped, or is starting, before planning its jobs)";
  { std::ofstream touch(path); }  // a runner killed as it created the file
  Error e = error_of([&] { RunState st(path, true); });
  CHECK(e.exit_code() == 66);
  CHECK(std::string(e.what()) == line);
  std::filesystem::remove(path);
  sql(path, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");  // ... as it began its tables
  e = error_of([&] { RunState st(path, true); });
  CHECK(e.exit_code() == 66);
  CHECK(std::string(e.what()) == line);
  { RunState st(path); }  // the runner itself makes it whole
  RunState st(path, true);
  CHECK(st.jobs().empty());
}
