#include "train/metrics.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/file.h"

namespace saturn::train {

void write_json_atomic(const std::string& path, const nlohmann::json& j) { write_file_atomic(path, j.dump(2) + "\n"); }

MetricsLog::MetricsLog(const std::string& path, int64_t keep_through_step) {
  std::string kept;
  if (keep_through_step >= 0) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("step") && j["step"].get<int64_t>() <= keep_through_step) kept += line + "\n";
    }
  }
  // The kept lines go to a new file first: a failed rewrite (a full disk)
  // leaves the old one whole.
  write_file_atomic(path, kept);
  path_ = path;
  f_ = std::fopen(path.c_str(), "a");
  if (!f_) throw io_error(path, "cannot write metrics");
}

MetricsLog::~MetricsLog() {
  if (f_) std::fclose(f_);
}

void MetricsLog::write(const nlohmann::json& line) {
  const std::string s = line.dump() + "\n";
  if (std::fputs(s.c_str(), f_) < 0 || std::fflush(f_) != 0) throw io_error(path_, "cannot write metrics");
}

}  // namespace saturn::train
