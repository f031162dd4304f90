// What a profiling trial measures, shared by the plain and fused training
// loops: step times after a warm-up until their median is known to 2%, the
// process's startup, and peak memory; and the rank file it writes.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "core/run_files.h"
#include "train/train_job.h"

namespace saturn::train {

class TrialTimer {
 public:
  explicit TrialTimer(const TrialOptions& o) : o_(o) {}
  // One step's seconds; the first `warmup` steps are not timed.
  void record(double seconds);
  // The median of the timed steps is known to o.timing.precision (95%), or
  // the most timed steps or seconds were spent (core/step_timing.h).
  bool done() const;
  // What the trial measured (a feasible one).
  run_files::Trial result(int64_t peak_memory, double startup_s, double final_loss) const;

 private:
  TrialOptions o_;
  int64_t seen_ = 0;
  std::vector<double> times_;
};

int64_t rss_now();   // resident bytes now
int64_t rss_peak();  // the process's peak resident bytes (since the last reset_peak_memory)
// Starts the peaks anew for the next strategy a trial process times: the
// heap's free memory returned to the system (malloc_trim), then the
// resident set's high-water mark (/proc/self/clear_refs; where the kernel
// refuses, the peak stays the process's, an overestimate) and the CUDA
// allocator's peak on `device` (its cache emptied).
void reset_peak_memory(const torch::Device& device);
// A trial's peak memory on `device`: peak reserved CUDA bytes there, else
// `cpu_peak` (RSS growth).
int64_t device_peak_memory(const torch::Device& device, int64_t cpu_peak);
// Seconds since this process started: libraries, data, model, rendezvous.
double seconds_since_process_start();
// Writes this rank's trial file (run_files::trial_rank_path) atomically.
void write_trial(const TrialOptions& t, int rank, const run_files::Trial& result);
// An infeasible trial's result.
run_files::Trial infeasible_trial(const std::string& reason);

}  // namespace saturn::train
