#include "train/trial_timer.h"

#include "train/metrics.h"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#ifdef SATURN_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace saturn::train {

void TrialTimer::record(double seconds) {
  if (seen_++ < o_.warmup) return;
  times_.push_back(seconds);
}

bool TrialTimer::done() const { return judge_steps(times_, o_.timing).done; }

run_files::Trial TrialTimer::result(int64_t peak_memory, double startup_s, double final_loss) const {
  run_files::Trial t;
  const StepTiming j = judge_steps(times_, o_.timing);
  t.step_time = j.median;
  t.spread = j.error;
  t.timed_steps = static_cast<int64_t>(times_.size());
  t.steps = seen_;
  t.peak_memory = peak_memory;
  t.startup_s = startup_s;
  t.final_loss = final_loss;
  return t;
}

run_files::Trial infeasible_trial(const std::string& reason) {
  run_files::Trial t;
  t.feasible = false;
  t.reason = reason;
  return t;
}

int64_t rss_now() {
  std::ifstream in("/proc/self/statm");
  int64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

int64_t rss_peak() {
  // VmHWM follows clear_refs; getrusage's maxrss does not.
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<int64_t>(ru.ru_maxrss) * 1024;
}

void reset_peak_memory(const torch::Device& device) {
  // What the last strategy freed goes back to the system first: memory the
  // heap kept would serve the next one without a trace in the resident set.
  ::malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
#ifdef SATURN_TORCH_CUDA
  if (device.is_cuda()) {
    c10::cuda::CUDACachingAllocator::emptyCache();
    c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
  }
#endif
  (void)device;
}

int64_t device_peak_memory(const torch::Device& device, int64_t cpu_peak) {
#ifdef SATURN_TORCH_CUDA
  if (device.is_cuda()) return c10::cuda::CUDACachingAllocator::getDeviceStats(device.index()).reserved_bytes[0].peak;
#endif
  (void)device;
  return cpu_peak;
}

// /proc/self/stat starttime against /proc/uptime; 10 ms resolution.
double seconds_since_process_start() {
  std::ifstream stat("/proc/self/stat"), up("/proc/uptime");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
  }
  double uptime = 0;
  up >> uptime;
  const double started = std::atof(field.c_str()) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  return uptime > started ? uptime - started : 0;
}

void write_trial(const TrialOptions& t, int rank, const run_files::Trial& result) {
  write_json_atomic(run_files::trial_rank_path(t.run_dir, rank), run_files::to_json(result));
}

}  // namespace saturn::train
