// saturn data W.yaml: what each model will train on, before packing
// (lib/app/data_view.h). Reads only.
#include <iostream>
#include <memory>

#include "app/data_view.h"
#include "commands.h"
#include "core/workload.h"

namespace saturn::cmd {

struct DataOptions {
  std::string workload;
  DataViewOptions view;
};

static int run_data(DataOptions& o) {
  const Workload w = load_workload(o.workload);
  o.view.term = Terminal::detect(stdout);
  show_data(w, o.view, std::cout);
  return 0;
}

void add_data(CLI::App& app, Action& action) {
  auto o = std::make_shared<DataOptions>();
  auto* sub = app.add_subcommand("data", "Show the first examples each model trains on (rendered, trained spans marked) and totals");
  sub->add_option("workload", o->workload, "Workload file (YAML, see saturn-workload(5))")->required();
  sub->add_option("--model", o->view.model, "Only this model (its name in the workload)");
  sub->add_option("--split", o->view.split, "train (default) or valid");
  sub->add_option("--limit", o->view.limit, "Examples shown per model (default 3; all are counted)")->check(CLI::NonNegativeNumber);
  sub->add_flag("--json", o->view.json, "One JSON object per example per line (ids, trained), then totals per model");
  sub->callback([o, &action] { action = [o] { return run_data(*o); }; });
}

}  // namespace saturn::cmd
