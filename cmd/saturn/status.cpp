// saturn status [RUN]: where a run stands (jobs, attempts, plan, progress),
// read from its state.db while the runner may still be writing it.
#include <filesystem>
#include <iostream>
#include <memory>
#include <utility>

#include "commands.h"
#include "core/error.h"
#include "core/run_files.h"
#include "core/workload.h"
#include "exec/state.h"
#include "report/terminal.h"
#include "run_view.h"

namespace saturn::cmd {
namespace {

// A run directory, a workload file (its default run directory), or "" (the
// newest run under ./runs).
std::string find_run_dir(const std::string& arg) {
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
  if (best.empty()) throw no_input_error("runs/: no runs here; name one: saturn status RUN_DIR");
  return best;
}

}  // namespace

void add_status(CLI::App& app, Action& action) {
  auto so = std::make_shared<std::pair<std::string, bool>>();
  auto* st = app.add_subcommand("status", "Show where a run stands: jobs, attempts, plan, progress");
  st->add_option("run", so->first, "Run directory or workload file (default: the latest under ./runs)");
  st->add_flag("--json", so->second, "Print everything state.db holds as JSON on stdout");
  st->callback([so, &action] {
    action = [so] {
      const std::string dir = find_run_dir(so->first);
      RunState state(run_files::state_path(dir), true);
      if (so->second) std::cout << status_json(state, dir).dump(2) << "\n";
      else std::cout << status_text(state, dir, Terminal::detect(stdout));
      return 0;
    };
  });
}

}  // namespace saturn::cmd
