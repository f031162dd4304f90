#include "train/metrics.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace saturn::train {

void write_json_atomic(const std::string& path, const nlohmann::json& j) {
  const std::string tmp = path + ".tmp";
  const std::string text = j.dump(2) + "\n";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) throw io_error(tmp, "cannot write");
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0;
  const int err = errno;
  if (std::fclose(f) != 0 || !wrote) {
    errno = wrote ? errno : err;
    const Error e = io_error(tmp, "cannot write");
    std::remove(tmp.c_str());
    throw e;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw io_error(path, "cannot replace");
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
  // The kept lines go to a new file first: a failed rewrite (a full disk)
  // leaves the old one whole.
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) throw io_error(tmp, "cannot write metrics");
  const bool wrote = std::fputs(kept.c_str(), f) >= 0 && std::fflush(f) == 0;
  const int err = errno;
  if (std::fclose(f) != 0 || !wrote) {
    const Error e = io_error(tmp, "cannot write metrics", wrote ? errno : err);
    std::remove(tmp.c_str());
    throw e;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw io_error(path, "cannot write metrics");
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
