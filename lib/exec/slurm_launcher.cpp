#include "exec/slurm_launcher.h"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "core/error.h"

namespace saturn {
namespace fs = std::filesystem;

SlurmLauncher::SlurmLauncher(LocalLauncherOptions o, SignalPipe& signals, std::string srun)
    : LocalLauncher(std::move(o), signals), srun_(std::move(srun)) {
  if (srun_.find('/') != std::string::npos) return;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    if (colon == std::string::npos) colon = dirs.size();
    const std::string candidate = (colon > start ? dirs.substr(start, colon - start) : ".") + "/" + srun_;
    if (::access(candidate.c_str(), X_OK) == 0) {
      srun_ = candidate;
      return;
    }
    start = colon + 1;
  }
  throw Error(ErrorKind::Unavailable, srun_ + ": not found on PATH (saturn starts Slurm job steps with it)");
}

std::vector<std::string> SlurmLauncher::step_command(const LaunchSpec& spec, const LocalNode& node,
                                                     const std::string& rendezvous) const {
  const size_t k = spec.device_ids.size();
  std::vector<std::string> devices;
  for (size_t i = 0; i < k; ++i) devices.push_back(node.cuda ? "cuda:" + std::to_string(i) : "cpu");
  std::vector<std::string> argv = {srun_,
                                   "--job-name=saturn:" + spec.job,
                                   "--nodes=1",
                                   "--ntasks=" + std::to_string(k),
                                   "--nodelist=" + node.name,
                                   "--exclusive",
                                   "--cpus-per-task=" + std::to_string(node.cuda ? node.cpus_per_rank : node.threads),
                                   "--mem=0",  // the job's memory, without holding it from other steps
                                   "--kill-on-bad-exit=1"};
  if (node.gpus > 0) argv.push_back("--gres=gpu:" + std::to_string(k));
  WorkerArgs w = worker_args(spec, node, devices);
  w.slurm_step = true;
  if (k > 1) w.rendezvous = rendezvous;
  for (auto& a : w.to_argv(o_.saturn)) argv.push_back(std::move(a));
  return argv;
}

std::vector<std::string> SlurmLauncher::command(const LaunchSpec& spec, const LocalNode& node, SpawnOptions& so) {
  // A rendezvous file a killed step left behind would confuse the next one.
  std::error_code ec;
  fs::create_directories(job_dir(spec.job), ec);
  for (const auto& e : fs::directory_iterator(job_dir(spec.job), ec))
    if (e.path().filename().string().rfind("rendezvous-slurm-", 0) == 0) fs::remove(e.path(), ec);
  const std::string rendezvous = job_dir(spec.job) + "/rendezvous-slurm-" + std::to_string(spec.attempt) + "-" +
                                 std::to_string(std::time(nullptr));
  so.parent_death_signal = SIGUSR1;  // srun forwards it: every task checkpoints
  return step_command(spec, node, rendezvous);
}

void SlurmLauncher::stop(const std::string& job, bool force) {
  auto it = running_.find(job);
  if (it != running_.end()) signal_child(it->second, force ? SIGTERM : SIGUSR1);
}

}  // namespace saturn
