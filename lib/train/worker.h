// The `saturn worker` entry point: trains one job of a workload on the
// devices it is given. Torch-free interface, so cmd/ needs no LibTorch.
//
// With technique fused, the jobs are trained as one fused model on one device
// (techniques/fused.h, train_loop.h), each in its own job folder, each folder locked.
//
// With world > 1 and no rank, the worker is the job's local launcher: it
// forks and execs one rank per device (this same binary with --rank), shares
// a fresh rendezvous file with them, forwards SIGINT/SIGTERM, and returns the
// first failing rank's exit code. With a rank, it is that rank.
//
// Under `srun` (slurm_step), Slurm starts one task per rank: the task takes
// its rank from SLURM_PROCID, its GPU from what it sees (CUDA_VISIBLE_DEVICES
// may list the step's GPUs or only its own), rank 0 locks the job folder,
// and the ranks meet through --rendezvous. SIGUSR1 (what srun forwards, and
// Slurm's --signal) stops a worker like SIGTERM: checkpoint, exit 128 + n.
#pragma once

#include <string>

#include "core/worker_args.h"

namespace saturn::train {

// The worker's command line (core/worker_args.h) and where this executable
// is (for launching ranks).
struct WorkerOptions : WorkerArgs {
  std::string self;  // path of this executable
};

// Runs the worker; returns the exit code (0, or 128+n after a clean stop on
// signal n). Throws saturn::Error for bad input.
int run_worker(const WorkerOptions& o);

}  // namespace saturn::train
