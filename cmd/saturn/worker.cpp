// saturn worker W.yaml --job ID: internal: one training process group for one
// job, or for several fused ones (forked by `run` and `profile`; usable by
// hand for debugging).
#include <unistd.h>

#include <memory>

#include "commands.h"
#include "core/text.h"
#include "train/worker.h"

namespace saturn::cmd {

void add_worker(CLI::App& app, Action& action) {
  auto o = std::make_shared<train::WorkerOptions>();
  auto devices = std::make_shared<std::string>("cpu");
  auto no_resume = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("worker", "Internal: train one job on the given devices (forked by run and profile)");
  sub->add_option("workload", o->workload, "Workload file")->required();
  sub->add_option("--job", o->jobs, "Job id (see saturn jobs); with --technique fused, once per fused job")
      ->required()
      ->take_all();
  sub->add_option("--run-dir", o->run_dir, "Run directory; the job writes to RUN_DIR/jobs/JOB/")->required();
  sub->add_option("--devices", *devices, "Comma-separated devices, one per rank: cpu or cuda:N (default cpu)");
  sub->add_option("--rank", o->rank, "This process's rank (set by the launcher)");
  sub->add_option("--rendezvous", o->rendezvous, "Rendezvous file shared by the ranks (set by the launcher)");
  sub->add_option("--backend", o->backend, "Collectives: shm or nccl (default: nccl on cuda, shm on cpu)");
  sub->add_option("--technique", o->technique, "single, ddp, fsdp, pipeline, spill, or fused (several --job on one device; default: single on one device, ddp on more)");
  sub->add_option("--micro-batches", o->micro_batches, "pipeline: micro-batches per step (default 2 x stages)");
  sub->add_option("--group-blocks", o->group_blocks, "fsdp, spill: blocks gathered or copied together (default 1)");
  sub->add_flag("--gpipe", o->gpipe, "pipeline: GPipe schedule (every forward, then every backward) instead of 1F1B");
  sub->add_option("--copies", o->copies, "fused trial: fuse this many copies of the job (seeds seed, seed+1, ...)");
  sub->add_flag("--no-recompute", o->no_recompute, "fsdp, spill: keep activations instead of recomputing them in backward");
  sub->add_flag("--offload", o->offload, "fsdp: keep shards, gradients and optimizer state in host memory");
  sub->add_option("--steps", o->steps, "Train this many steps instead of the workload's");
  sub->add_option("--micro-batch", o->micro_batch, "Samples per forward pass per rank (gradient accumulation)");
  sub->add_option("--threads", o->threads, "Intra-op threads per rank (default: the workload's cpu threads)");
  sub->add_flag("--no-resume", *no_resume, "Start from scratch even when checkpoints exist");
  sub->add_flag("--slurm-step", o->slurm_step,
                "One task of a Slurm job step (srun -n<devices>): rank from SLURM_PROCID, GPUs from what the task sees");
  sub->add_flag("--trial", o->trial,
                "Profiling trial: time steps until stable, write RUN_DIR/trial/rank-N.json, nothing else");
  sub->callback([o, devices, no_resume, &action] {
    action = [o, devices, no_resume] {
      train::WorkerOptions opts = *o;
      opts.devices.clear();
      size_t start = 0;
      while (start <= devices->size()) {
        size_t comma = devices->find(',', start);
        if (comma == std::string::npos) comma = devices->size();
        opts.devices.push_back(devices->substr(start, comma - start));
        start = comma + 1;
      }
      opts.job = opts.jobs.front();
      opts.resume = !*no_resume;
      opts.self = self_executable();
      return train::run_worker(opts);
    };
  });
}

}  // namespace saturn::cmd
