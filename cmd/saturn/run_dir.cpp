#include "run_dir.h"

#include <filesystem>

#include "core/error.h"
#include "core/run_files.h"
#include "core/workload.h"

namespace saturn::cmd {

std::string find_run_dir(const std::string& arg, const std::string& command) {
  namespace fs = std::filesystem;
  if (!arg.empty()) {
    if (fs::is_directory(arg)) {
      if (!fs::exists(run_files::state_path(arg))) throw no_input_error(arg + ": not a run directory (no state.db)");
      return arg;
    }
    if (fs::is_regular_file(arg)) {
      const Workload w = load_workload(arg, {nullptr, false});
      const std::string dir = w.default_run_dir();
      if (!fs::exists(run_files::state_path(dir))) throw no_input_error(dir + ": no run of workload " + w.name + " yet");
      return dir;
    }
    throw no_input_error(arg + ": no such run directory or workload file");
  }
  std::string best;
  fs::file_time_type newest{};
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("runs", ec)) {
    const auto db = e.path() / "state.db";
    if (!fs::exists(db)) continue;
    const auto t = fs::last_write_time(db);
    if (best.empty() || t > newest) {
      best = e.path().string();
      newest = t;
    }
  }
  if (best.empty()) throw no_input_error("runs/: no runs here; name one: saturn " + command + " RUN_DIR");
  return best;
}

}  // namespace saturn::cmd
