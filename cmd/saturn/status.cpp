// saturn status [RUN]: where a run stands (jobs, attempts, plan, progress),
// read from its state.db while the runner may still be writing it.
#include <iostream>
#include <memory>
#include <utility>

#include "commands.h"
#include "core/error.h"
#include "core/run_files.h"
#include "exec/state.h"
#include "report/terminal.h"
#include "run_dir.h"
#include "run_view.h"

namespace saturn::cmd {

void add_status(CLI::App& app, Action& action) {
  auto so = std::make_shared<std::pair<std::string, bool>>();
  auto* st = app.add_subcommand("status", "Show where a run stands: jobs, attempts, plan, progress");
  st->add_option("run", so->first, "Run directory or workload file (default: the latest under ./runs)");
  st->add_flag("--json", so->second, "Print everything state.db holds as JSON on stdout");
  st->callback([so, &action] {
    action = [so] {
      const std::string dir = find_run_dir(so->first, "status");
      RunState state(run_files::state_path(dir), true);
      if (so->second) std::cout << status_json(state, dir).dump(2) << "\n";
      else std::cout << status_text(state, dir, Terminal::detect(stdout));
      return 0;
    };
  });
}

}  // namespace saturn::cmd
