#include "train/worker.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "core/finetune.h"
#include "core/job.h"
#include "core/run_files.h"
#include "core/slurm_env.h"
#include "core/text.h"
#include "core/workload.h"
#include "train/cpu_runtime.h"
#include "train/train_loop.h"
#include "train/trial_timer.h"

namespace saturn::train {
namespace {

volatile std::sig_atomic_t g_stop = 0;  // the signal that asked this process to stop

// Launcher mode: the ranks to forward signals to. The handler reads only
// these (async-signal-safe): a slot is written before the count covers it.
constexpr int kMaxChildren = 1024;
pid_t g_children[kMaxChildren];
std::atomic<int> g_child_count{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int sig) {
  if (!g_stop) g_stop = sig;
  const int n = g_child_count.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i) ::kill(g_children[i], sig);
}

void install_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGUSR1, &sa, nullptr);
}

// A Slurm step's task: its rank and devices from the step's environment.
WorkerOptions as_slurm_task(WorkerOptions o) {
  const auto t = slurm_task(slurm_environment());
  if (!t) throw usage_error("--slurm-step: not a task of a Slurm job step (run it with srun)");
  const int64_t world = static_cast<int64_t>(o.devices.size());
  if (t->ntasks != world)
    throw usage_error("--slurm-step: the step has " + std::to_string(t->ntasks) + " tasks but --devices lists " +
                      std::to_string(world) + " (srun -n" + std::to_string(world) + ")");
  if (world > 1 && o.rendezvous.empty()) throw usage_error("--slurm-step: several tasks need --rendezvous");
  o.rank = static_cast<int>(t->rank);
  for (auto& d : o.devices)
    if (d != "cpu") d = "cuda:" + std::to_string(step_cuda_ordinal(std::stoll(d.substr(5)), t->visible_gpus.size()));
  std::cerr << "saturn worker: Slurm step " << t->step << " on " << t->host << ": rank " << t->rank << " of " << world
            << " on " << o.devices[static_cast<size_t>(o.rank)]
            << " (CUDA_VISIBLE_DEVICES=" << join(t->visible_gpus, ",") << ")" << std::endl;
  return o;
}

const Job& find_job(const JobSet& set, const std::string& id) {
  std::vector<std::string> ids;
  for (const auto& j : set.jobs) {
    if (j.id == id) return j;
    ids.push_back(j.id);
  }
  std::string sug = did_you_mean(id, ids);
  throw usage_error("no job " + saturn::quoted(id) + " in the workload" +
                    (sug.empty() ? "; `saturn jobs` lists them" : ", did you mean " + saturn::quoted(sug) + "?"));
}

int launch_ranks(const WorkerOptions& o, const std::string& job_dir) {
  const int world = static_cast<int>(o.devices.size());
  if (world > kMaxChildren) throw usage_error("--devices: at most " + std::to_string(kMaxChildren) + " ranks");
  std::filesystem::create_directories(job_dir);
  const std::string rendezvous =
      job_dir + "/rendezvous-" + std::to_string(::getpid()) + "-" + std::to_string(std::time(nullptr));
  std::filesystem::remove(rendezvous);
  for (int r = 0; r < world; ++r) {
    WorkerArgs rank = o;  // the same command, as rank r
    rank.rank = r;
    rank.rendezvous = rendezvous;
    std::vector<std::string> args = rank.to_argv(o.self);
    pid_t pid = ::fork();
    if (pid < 0) throw Error(ErrorKind::TempFail, "cannot fork rank " + std::to_string(r));
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a rank without its launcher has no one to report to
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(o.self.c_str(), argv.data());
      std::perror("saturn worker: exec");
      ::_exit(70);
    }
    const int slot = g_child_count.load(std::memory_order_relaxed);
    g_children[slot] = pid;
    g_child_count.store(slot + 1, std::memory_order_release);
  }
  int result = 0;
  const int children = g_child_count.load(std::memory_order_relaxed);
  for (int done = 0; done < children;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    ++done;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0 && result == 0) {
      result = code;
      // A rank failed: the others would wait for it in a collective until
      // the timeout, and cannot reach a step boundary to checkpoint at.
      // Checkpoints are atomic, so killing them loses nothing saved.
      if (code < 128 || !g_stop)
        for (int i = 0; i < children; ++i)
          if (g_children[i] != pid) ::kill(g_children[i], SIGKILL);
    }
  }
  std::filesystem::remove(rendezvous);
  return result;
}

// Holds the job folder's lock for this process's life: a worker the runner
// left behind (its runner was killed) checkpoints on SIGTERM before the next
// worker of the same job may start. Waits up to `wait_s` for it. A job
// folder that does not exist yet has had no worker: nothing to wait for, and
// nothing is written before the data is known to be good.
void lock_job_dir(const std::string& job_dir, const std::string& job, double wait_s) {
  if (!std::filesystem::exists(job_dir)) return;
  const std::string path = job_dir + "/.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(ErrorKind::Unavailable, path + ": cannot open the job's lock");
  for (int waited = 0;; waited += 100) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return;  // kept open: released when this process ends
    if (waited == 0) std::cerr << "saturn worker: waiting for an earlier worker of " << job << " to stop\n";
    if (waited >= wait_s * 1000)
      throw Error(ErrorKind::TempFail, "job " + job + ": another worker still holds " + path);
    ::usleep(100000);
  }
}

// The technique and its knobs against the devices and the model.
void check_technique(const WorkerOptions& o, const ModelSpec& model) {
  const int world = static_cast<int>(o.devices.size());
  const std::optional<Technique> technique = o.technique;
  const bool fused = technique == Technique::Fused;
  if (!fused && o.jobs.size() > 1)
    throw usage_error("--job: given " + std::to_string(o.jobs.size()) + " times; only --technique fused trains several jobs");
  if (o.copies != 0 && !(fused && o.trial && o.jobs.size() <= 1 && o.copies >= 1))
    throw usage_error("--copies: only for a fused --trial of one --job (1 or more copies)");
  if ((technique == Technique::Single || technique == Technique::Spill || fused) && world > 1)
    throw usage_error("--technique " + std::string(technique_name(*technique)) + ": takes one device, got " +
                      std::to_string(world));
  if (technique)
    if (auto why = job_refuses(model.arch, model.finetune, *technique))
      throw usage_error("--technique " + std::string(technique_name(*technique)) + ": " + *why);
  if (o.group_blocks < 1) throw usage_error("--group-blocks: expected 1 or more");
  if (o.offload && technique != Technique::Fsdp) throw usage_error("--offload: only with --technique fsdp");
}

// Every job of a fused group: one model of the workload, each once, and
// LoRA jobs sharing one base.
std::vector<const Job*> fused_group(const Workload& w, const JobSet& set, const std::vector<std::string>& ids,
                                    const Job& job) {
  const std::string from = w.models[job.model].from.empty() ? "" : w.resolve(w.models[job.model].from);
  auto member = [&](const Job& j) { return FusedMember{j.id, j.finetune, j.hp.seed, from}; };
  std::vector<const Job*> group;
  for (const auto& id : ids) {
    const Job& j = find_job(set, id);
    if (j.model != job.model)
      throw usage_error("--technique fused: " + j.id + " and " + job.id + " are different models; fused jobs share one");
    for (const Job* g : group)
      if (g->id == j.id) throw usage_error("--job " + j.id + ": given twice");
    if (auto why = fused_unshared(member(job), member(j))) throw usage_error("--technique fused: " + *why);
    group.push_back(&j);
  }
  return group;
}

// What every setting (strategy) of one worker process shares.
struct Process {
  const Workload& w;
  const JobSet& set;
  const Job& job;                      // the (first) job
  const ModelSpec& model;
  std::string device;                  // this rank's
  Communicator* comm;                  // null on one device
  std::vector<const Job*> group;       // a fused run's jobs (a trial makes its own per setting)
  int64_t rss_base;                    // a trial: what the settings' peaks count from; else -1
};

// Job `j` as setting `s` trains it into `dir`; `earlier_s`: what this trial
// process spent timing the settings before it.
TrainJob train_job_of(const Process& p, const WorkerOptions& s, const Job& j, const std::string& dir, double earlier_s) {
  const Workload& w = p.w;
  TrainJob tj;
  tj.id = j.id;
  tj.arch = p.model.arch;
  tj.config = j.config;
  tj.module_path = p.model.path.empty() ? "" : w.resolve(p.model.path);
  tj.from_dir = p.model.from.empty() ? "" : w.resolve(p.model.from);
  tj.hp = j.hp;
  tj.finetune = j.finetune;
  tj.train = w.train;
  tj.data = w.data_for(p.model);
  tj.resolve = [&w](const std::string& path) { return w.resolve(path); };
  tj.out_dir = dir;
  tj.steps = s.steps;
  tj.stop_at = s.stop_at;
  tj.micro_batch = s.micro_batch;
  tj.device = p.device;
  tj.technique = s.technique.value_or(Technique::Ddp);
  tj.group_blocks = s.group_blocks;
  tj.micro_batches = s.micro_batches;
  tj.recompute = !s.no_recompute;
  tj.gpipe = s.gpipe;
  tj.offload = s.offload;
  tj.resume = s.resume;
  tj.trial.enabled = s.trial;
  tj.trial.run_dir = s.run_dir;
  tj.trial.earlier_s = earlier_s;
  tj.trial.rss_base = p.rss_base;
  return tj;
}

// One setting of this process: its jobs trained, or timed.
int run_setting(const Process& p, const WorkerOptions& s, double earlier_s) {
  auto log = [](const std::string& m) { std::cerr << "saturn worker: " << m << "\n"; };
  try {
    if (s.technique == Technique::Fused) {
      std::vector<TrainJob> jobs;
      const std::vector<const Job*> members = s.trial ? fused_group(p.w, p.set, s.jobs, p.job) : p.group;
      for (const Job* j : members) jobs.push_back(train_job_of(p, s, *j, run_files::job_dir(s.run_dir, j->id), earlier_s));
      // A trial's extra copies: the same job, other seeds (of a random LoRA
      // base, one: a fused LoRA group shares it).
      for (int64_t c = 1; c < s.copies; ++c) {
        TrainJob copy = jobs.front();
        copy.id += "#" + std::to_string(c);
        if (!(copy.finetune.lora_on() && copy.from_dir.empty())) copy.hp.seed += c;
        jobs.push_back(copy);
      }
      return train(jobs, nullptr, &g_stop, log);
    }
    const std::string dir = s.trial ? run_files::trial_dir(s.run_dir) : run_files::job_dir(s.run_dir, p.job.id);
    return train({train_job_of(p, s, p.job, dir, earlier_s)}, p.comm, &g_stop, log);
  } catch (const c10::Error& e) {
    throw internal_error("job " + p.job.id + ": " + e.msg().substr(0, e.msg().find('\n')));
  }
}

}  // namespace

int run_worker(const WorkerOptions& given) {
  // The worker trains what its flags say; the cluster it came from does not matter.
  LoadOptions lo;
  lo.resolve_slurm = false;
  const Workload w = [&] {
    Workload l = load_workload(given.workload, lo);
    if (given.chat_time > 0) l.pin_chat_time(given.chat_time);  // the run's, so every rank renders its text
    return l;
  }();
  const JobSet set = expand_jobs(w);
  const Job& job = find_job(set, given.job());
  const ModelSpec& model = w.models[job.model];
  if (given.devices.empty()) throw usage_error("--devices: at least one device");
  for (const auto& d : given.devices)
    if (d != "cpu" && !(d.size() > 5 && d.rfind("cuda:", 0) == 0 &&
                        d.find_first_not_of("0123456789", 5) == std::string::npos && d.size() <= 8))
      throw usage_error("--devices: " + saturn::quoted(d) + " is not a device (cpu or cuda:N)");
  if (given.slurm_step && given.rank >= 0) throw usage_error("--slurm-step: the rank comes from Slurm; no --rank");
  const WorkerOptions o = given.slurm_step ? as_slurm_task(given) : given;
  const int world = static_cast<int>(o.devices.size());
  const bool fused = o.technique == Technique::Fused;
  if (!o.also.empty() && !o.trial) throw usage_error("--also: only with --trial (a trial times several strategies)");
  // Every setting's strategy is checked before the first one starts.
  std::vector<WorkerOptions> settings;
  for (size_t i = 0; i < o.settings(); ++i) {
    WorkerOptions s = o;
    static_cast<WorkerArgs&>(s) = o.setting(i);
    check_technique(s, model);
    settings.push_back(std::move(s));
  }
  const std::string job_dir = o.trial ? run_files::trial_dir(o.run_dir) : run_files::job_dir(o.run_dir, job.id);
  const std::vector<const Job*> group = fused && !o.trial ? fused_group(w, set, o.jobs, job) : std::vector<const Job*>{};
  install_handlers();
  const bool locks = o.rank < 0 || (o.slurm_step && o.rank == 0);  // the process that speaks for the group
  if (fused && !o.trial && locks)
    for (const Job* j : group) lock_job_dir(run_files::job_dir(o.run_dir, j->id), j->id, 120);
  if (locks && !o.trial && !fused) lock_job_dir(job_dir, job.id, 120);
  if (o.rank < 0 && world > 1) return launch_ranks(o, job_dir);
  if (o.rank >= world) throw usage_error("--rank " + std::to_string(o.rank) + " is not below the device count");
  const int rank = std::max(o.rank, 0);
  const std::string device = o.devices[static_cast<size_t>(rank)];
  if (device != "cpu" && !torch::cuda::is_available())
    throw Error(ErrorKind::Unavailable, "device " + device + ": CUDA is not available to this saturn");

  int threads = o.threads;
  if (threads <= 0) {
    threads = 1;
    for (const auto& n : w.cluster.nodes)
      if (n.kind != DeviceKind::Cuda) threads = static_cast<int>(n.threads);
  }
  configure_cpu_runtime(threads);

  std::unique_ptr<Communicator> comm;
  if (world > 1) {
    CommOptions co;
    co.rendezvous = o.rendezvous;
    co.rank = rank;
    co.world = world;
    co.backend = !o.backend.empty() ? o.backend : device == "cpu" ? "shm" : "nccl";
    co.device = device == "cpu" ? 0 : torch::Device(device).index();
    if (co.rendezvous.empty()) throw usage_error("--rank needs --rendezvous");
    comm = connect(co);
  }

  const Process proc{w, set, job, model, device, comm.get(), group, o.trial ? rss_now() : -1};
  if (!o.trial) return run_setting(proc, settings.front(), 0);
  // A trial: each setting in turn on the same devices, ranks and
  // communicator; the first that does not end with 0 (out of memory, a
  // failure, a stop) ends the process, and the profiler runs the rest anew.
  const auto begin = std::chrono::steady_clock::now();
  for (size_t i = 0; i < settings.size(); ++i) {
    if (i > 0) reset_peak_memory(torch::Device(device));
    const double earlier = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    const int code = run_setting(proc, settings[i], earlier);
    if (code != 0) return code;
    if (g_stop) return 128 + static_cast<int>(g_stop);
  }
  return 0;
}

}  // namespace saturn::train
