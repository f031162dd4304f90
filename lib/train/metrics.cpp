#include "train/metrics.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace saturn::train {

void write_json_atomic(const std::string& path, const nlohmann::json& j) {
  {
    std::ofstream out(path + ".tmp");
    out << j.dump(2) << "\n";
  }
  std::filesystem::rename(path + ".tmp", path);
}

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
  f_ = std::fopen(path.c_str(), "w");
  if (!f_) throw Error(ErrorKind::Unavailable, path + ": cannot write metrics: " + std::strerror(errno));
  std::fputs(kept.c_str(), f_);
  std::fflush(f_);
}

MetricsLog::~MetricsLog() {
  if (f_) std::fclose(f_);
}

void MetricsLog::write(const nlohmann::json& line) {
  const std::string s = line.dump() + "\n";
  std::fputs(s.c_str(), f_);
  std::fflush(f_);
}

}  // namespace saturn::train
