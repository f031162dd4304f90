// The `saturn worker` entry point: trains one job of a workload on the
// devices it is given. Torch-free interface, so cmd/ needs no LibTorch.
//
// With technique fused, the jobs are trained as one fused model on one device
// (fused_trainer.h), each in its own job folder, each folder locked.
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

#include <cstdint>
#include <string>
#include <vector>

namespace saturn::train {

struct WorkerOptions {
  std::string workload;            // the workload file
  std::string job;                 // job id (see `saturn jobs`): jobs.front()
  std::vector<std::string> jobs;   // technique fused: every job of the group (else just `job`)
  int64_t copies = 0;              // fused trial: fuse this many copies of `job` instead
  std::string run_dir;             // the job writes to <run_dir>/jobs/<job id>/
  std::vector<std::string> devices = {"cpu"};  // one per rank: "cpu" or "cuda:N"
  int rank = -1;                   // -1: launch every rank (or be the only one)
  std::string rendezvous;          // with rank: the launcher's rendezvous file
  std::string backend;             // shm | nccl; "" = nccl on cuda devices, else shm
  std::string technique;           // single | ddp | fsdp | pipeline | spill | fused; "" = single on one device, ddp on more
  int64_t group_blocks = 1;        // fsdp, spill: blocks per group
  int64_t micro_batches = 0;       // pipeline: micro-batches per step (0 = 2 x stages)
  bool gpipe = false;              // pipeline: GPipe schedule instead of 1F1B
  bool no_recompute = false;       // fsdp, spill: keep activations (default: recompute them in backward)
  bool offload = false;            // fsdp: shards and optimizer state in host memory
  int64_t steps = 0;               // > 0: train this many steps instead of the workload's
  int64_t micro_batch = 0;         // > 0: samples per forward pass per rank (gradient accumulation)
  int threads = 0;                 // > 0: intra-op threads per rank; 0 = the workload's cpu threads
  bool resume = true;              // continue from the job's newest valid checkpoint
  bool trial = false;              // profiling trial: rank files in <run_dir>/trial/, nothing else written
  bool slurm_step = false;         // one task of a Slurm job step: rank = SLURM_PROCID (world = the
                                   // step's tasks = devices), cuda:i mapped onto the GPUs the task sees
  std::string self;                // path of this executable (for launching ranks)
};

// Runs the worker; returns the exit code (0, or 128+n after a clean stop on
// signal n). Throws saturn::Error for bad input.
int run_worker(const WorkerOptions& o);

}  // namespace saturn::train
