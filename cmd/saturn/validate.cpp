// saturn validate W.yaml: parse and check a workload; exit 0, or every error
// it finds (up to a cap), one line each, and the first one's exit code.
#include <iostream>
#include <memory>
#include <vector>
#include <nlohmann/json.hpp>

#include "app/data_warnings.h"
#include "app/weights_check.h"
#include "app/text_data.h"
#include "commands.h"
#include "core/error.h"
#include "core/job.h"
#include "core/workload.h"

namespace saturn::cmd {

struct ValidateOptions {
  std::string workload;     // the workload file
  bool json = false;        // print the result as JSON on stdout
  bool canonical = false;   // print the workload as canonical YAML
};

static int run_validate(const ValidateOptions& o) {
  Workload w;
  std::vector<Error> errors;  // every one found, each its own line
  LoadOptions lo;
  lo.errors = &errors;
  try {
    w = load_workload(o.workload, lo);
  } catch (const Error& e) {
    if (errors.empty()) errors.push_back(e);  // the file itself (missing, not YAML)
    if (o.json) {
      nlohmann::json all = nlohmann::json::array();
      for (const auto& x : errors) all.push_back(x.what());
      std::cout << nlohmann::json{{"valid", false}, {"error", errors.front().what()}, {"errors", all},
                                  {"exit_code", errors.front().exit_code()}}.dump(2)
                << "\n";
    }
    for (const auto& x : errors) std::cerr << x.what() << "\n";
    if (errors.size() >= kMaxWorkloadErrors)
      std::cerr << o.workload << ": stopped after " << kMaxWorkloadErrors << " errors\n";
    return errors.front().exit_code();
  }
  if (o.canonical) {
    std::cout << to_yaml(w);
    return 0;
  }
  const JobSet set = expand_jobs(w);
  try {
    const PreparedData prepared = prepare_text_data(w, set, false);  // (a check writes nothing)
    for (const auto& line : prepared.warnings) std::cerr << "validate: warning: " << line << "\n";
    for (const auto& line : check_pretrained_weights(w, false)) std::cerr << "validate: warning: " << line << "\n";
    check_data_yields(w, set, prepared.counts);
    for (const auto& line : data_warnings(w, set, prepared.counts)) std::cerr << "validate: warning: " << line << "\n";
  } catch (const Error& e) {
    if (o.json)
      std::cout << nlohmann::json{{"valid", false}, {"error", e.what()}, {"exit_code", e.exit_code()}}.dump(2) << "\n";
    throw;
  }
  const size_t nodes = w.cluster.instances().size();
  if (o.json) {
    std::cout << nlohmann::json{{"valid", true},
                                {"workload", w.name},
                                {"models", w.models.size()},
                                {"jobs", set.jobs.size()},
                                {"shapes", set.shapes.size()},
                                {"nodes", nodes},
                                {"devices", w.cluster.total_devices()}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << o.workload << ": ok: workload " << w.name << ", " << w.models.size()
            << (w.models.size() == 1 ? " model, " : " models, ") << set.jobs.size()
            << (set.jobs.size() == 1 ? " job, " : " jobs, ") << set.shapes.size()
            << (set.shapes.size() == 1 ? " shape, " : " shapes, ") << nodes
            << (nodes == 1 ? " node, " : " nodes, ") << w.cluster.total_devices()
            << (w.cluster.total_devices() == 1 ? " device\n" : " devices\n");
  return 0;
}

void add_validate(CLI::App& app, Action& action) {
  auto o = std::make_shared<ValidateOptions>();
  auto* sub = app.add_subcommand("validate", "Parse and check a workload file; exit 0 or print every error found, one per line");
  sub->add_option("workload", o->workload, "Workload file (YAML, see saturn-workload(5))")->required();
  sub->add_flag("--json", o->json, "Print the result as JSON on stdout");
  sub->add_flag("--canonical", o->canonical, "Print the workload as canonical YAML (defaults spelled out)");
  sub->callback([o, &action] { action = [o] { return run_validate(*o); }; });
}

}  // namespace saturn::cmd
