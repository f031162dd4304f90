// saturn jobs W.yaml: the expanded job list (models x grid) and its shapes.
#include <iostream>
#include <memory>

#include "commands.h"
#include "core/job.h"
#include "core/job_json.h"
#include "core/text.h"
#include "core/workload.h"
#include "report/table.h"

namespace saturn::cmd {

struct JobsOptions {
  std::string workload;   // the workload file
  bool json = false;      // print jobs and shapes as JSON on stdout
  bool shapes = false;    // list the shapes instead of the jobs
};

static int run_jobs(const JobsOptions& o) {
  const Workload w = load_workload(o.workload);
  const JobSet set = expand_jobs(w);
  if (o.json) {
    std::cout << jobs_json(w, set).dump(2) << "\n";
    return 0;
  }
  const Terminal term = Terminal::detect(stdout);
  Table t;
  if (o.shapes) {
    t.column("#", Table::Align::Right).column("shape").column("arch").column("batch", Table::Align::Right)
        .column("jobs", Table::Align::Right).column("hash");
    for (size_t i = 0; i < set.shapes.size(); ++i) {
      const JobShape& s = set.shapes[i];
      t.row({std::to_string(i + 1), s.id, arch_name(s.arch), std::to_string(s.batch_size),
             std::to_string(s.jobs.size()), s.hash});
    }
  } else {
    t.column("#", Table::Align::Right).column("job").column("shape").column("lr", Table::Align::Right)
        .column("batch", Table::Align::Right).column("hash");
    for (size_t i = 0; i < set.jobs.size(); ++i) {
      const Job& j = set.jobs[i];
      t.row({std::to_string(i + 1), j.id, set.shapes[j.shape].id, format_number(j.hp.lr),
             std::to_string(j.hp.batch_size), j.hash});
    }
  }
  std::cout << t.render(term);
  std::cout << set.jobs.size() << (set.jobs.size() == 1 ? " job, " : " jobs, ") << set.shapes.size()
            << (set.shapes.size() == 1 ? " shape" : " shapes") << " (workload " << w.name << ")\n";
  return 0;
}

void add_jobs(CLI::App& app, Action& action) {
  auto o = std::make_shared<JobsOptions>();
  auto* sub = app.add_subcommand("jobs", "List the jobs a workload expands to (models x grid) and their shapes");
  sub->add_option("workload", o->workload, "Workload file (YAML, see saturn-workload(5))")->required();
  sub->add_flag("--json", o->json, "Print jobs and shapes as JSON on stdout");
  sub->add_flag("--shapes", o->shapes, "List the distinct job shapes (what the profiler measures)");
  sub->callback([o, &action] { action = [o] { return run_jobs(*o); }; });
}

}  // namespace saturn::cmd
