// saturn worker W.yaml --job ID: internal: one training process group for one
// job, or for several fused ones (forked by `run` and `profile`; usable by
// hand for debugging).
#include <unistd.h>

#include <memory>

#include "commands.h"
#include "train/worker.h"

namespace saturn::cmd {

void add_worker(CLI::App& app, Action& action) {
  auto o = std::make_shared<train::WorkerOptions>();
  auto* sub = app.add_subcommand("worker", "Internal: train one job on the given devices (forked by run and profile)");
  o->bind(*sub);  // the flags: core/worker_args.cpp
  sub->callback([o, &action] {
    action = [o] {
      train::WorkerOptions opts = *o;
      opts.finish();
      opts.self = self_executable();
      return train::run_worker(opts);
    };
  });
}

}  // namespace saturn::cmd
