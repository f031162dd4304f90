// MetricsLog: a job's metrics.jsonl, one JSON object per line, written only
// by the job's rank 0 (docs/ARCHITECTURE.md). Opening for a resumed run drops the lines
// past the resumed step, so the file reads as if the run never stopped.
// A failed write throws saturn::Error (TempFail: the path and the reason).
// Not thread safe.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

namespace saturn::train {

class MetricsLog {
 public:
  // Opens `path` for appending, first keeping only lines whose "step" is at
  // most `keep_through_step` (all lines are dropped when it is negative).
  MetricsLog(const std::string& path, int64_t keep_through_step);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;

  // Appends one line and flushes it.
  void write(const nlohmann::json& line);

 private:
  FILE* f_ = nullptr;
  std::string path_;
};

// Writes `j` to `path` with core/file.h write_file_atomic, so readers
// (the runner, a resumed worker) see the old file or the whole new one: a
// job's result.json, a trial's rank file.
void write_json_atomic(const std::string& path, const nlohmann::json& j);

}  // namespace saturn::train
