// ProfileStore: the profiles saturn measured, in a SQLite file shared by
// workloads (default $XDG_CACHE_HOME/saturn/profiles.db, else
// ~/.cache/saturn/profiles.db). One row per ProfileKey; put() replaces.
// The schema is versioned (table `meta`, key `schema_version`); a file
// written by a newer schema is refused, not rewritten. WAL mode and a busy
// timeout let several saturn processes share the file. Errors are
// saturn::Error: Unavailable when the file cannot be opened or written,
// Data when it is not a profile store. Not thread safe; one per thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/profile_entry.h"


namespace saturn {

class Sqlite;

class ProfileStore {
 public:
  static constexpr int kSchemaVersion = 3;

  // Opens or creates the store at `path` (and its folder).
  explicit ProfileStore(const std::string& path);
  // Reads the store at `path` without creating or changing anything there
  // (dry runs): a missing file reads as an empty store, kept in memory.
  static std::unique_ptr<ProfileStore> read_only(const std::string& path);
  ~ProfileStore();
  ProfileStore(const ProfileStore&) = delete;
  ProfileStore& operator=(const ProfileStore&) = delete;

  std::optional<ProfileEntry> get(const ProfileKey& key) const;
  void put(const ProfileEntry& e);
  // Every entry whose shape is one of `shapes` (all entries when empty), in
  // key order.
  std::vector<ProfileEntry> entries(const std::vector<std::string>& shapes = {}) const;
  const std::string& path() const;

  // $XDG_CACHE_HOME/saturn/profiles.db, else $HOME/.cache/saturn/profiles.db.
  static std::string default_path();

 private:
  explicit ProfileStore(std::unique_ptr<Sqlite> db);
  void migrate();  // creates or upgrades the schema
  std::unique_ptr<Sqlite> db_;
};

}  // namespace saturn
