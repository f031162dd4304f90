#include "exec/local_launcher.h"

#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/run_files.h"
#include "core/technique.h"
#include "core/text.h"
#include "exec/process.h"

namespace saturn {
namespace fs = std::filesystem;

LocalLauncher::LocalLauncher(LocalLauncherOptions o, SignalPipe& signals) : o_(std::move(o)), signals_(signals) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cores_.push_back(c);
  if (cores_.empty()) cores_.push_back(0);
}

std::string LocalLauncher::job_dir(const std::string& job) const { return run_files::job_dir(o_.run_dir, job); }

std::string LocalLauncher::log_path(const std::string& job) const { return run_files::log_path(o_.run_dir, job); }

std::string LocalLauncher::last_words(const std::string& job) const {
  std::string line = last_line(log_path(job));
  if (line.rfind("saturn worker: ", 0) == 0) line = line.substr(15);
  return line;
}

WorkerArgs LocalLauncher::worker_args(const LaunchSpec& spec, const LocalNode& node,
                                      const std::vector<std::string>& devices) const {
  WorkerArgs a;
  a.workload = o_.workload;
  a.jobs = {spec.job};
  a.jobs.insert(a.jobs.end(), spec.fused_with.begin(), spec.fused_with.end());
  a.run_dir = o_.run_dir;
  a.devices = devices;
  a.technique = parse_technique(spec.technique);
  if (!a.technique) throw internal_error("job " + spec.job + ": no technique " + saturn::quoted(spec.technique));
  a.apply_knobs(spec.knobs);
  a.steps = o_.steps;
  a.chat_time = o_.chat_time;
  a.stop_at = spec.stop_at;
  if (!node.cuda) a.threads = static_cast<int>(node.threads);
  return a;
}

std::vector<std::string> LocalLauncher::command(const LaunchSpec& spec, const LocalNode& node, SpawnOptions& so) {
  std::vector<std::string> devices;
  so.parent_death_signal = SIGTERM;
  if (node.cuda) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < spec.device_ids.size(); ++i) {
      ids.push_back(std::to_string(spec.device_ids[i]));
      devices.push_back("cuda:" + std::to_string(i));
    }
    so.env.push_back("CUDA_VISIBLE_DEVICES=" + join(ids, ","));
  } else {
    for (int64_t d : spec.device_ids) {
      devices.push_back("cpu");
      for (int64_t t = 0; t < node.threads; ++t)
        so.cpus.push_back(cores_[static_cast<size_t>(d * node.threads + t) % cores_.size()]);
    }
  }
  return worker_args(spec, node, devices).to_argv(o_.saturn);
}

void LocalLauncher::start(const LaunchSpec& spec) {
  if (running_.count(spec.job)) throw internal_error("job " + spec.job + " is already running");
  const LocalNode* node = nullptr;
  for (const auto& n : o_.nodes)
    if (n.name == spec.node) node = &n;
  if (!node) throw internal_error("job " + spec.job + ": no node " + spec.node + " in this run's cluster");
  SpawnOptions so;
  so.log = log_path(spec.job);
  const std::vector<std::string> argv = command(spec, *node, so);
  std::error_code ec;
  fs::create_directories(o_.run_dir + "/logs", ec);
  fs::remove(run_files::heartbeat_path(job_dir(spec.job)), ec);  // the last attempt's: not this one's sign of life
  fs::remove(run_files::infeasible_path(job_dir(spec.job)), ec);  // the last attempt's strategy, not this one's
  for (const auto& job : spec.fused_with) fs::remove(run_files::infeasible_path(job_dir(job)), ec);
  {
    std::vector<std::string> ids;
    for (int64_t d : spec.device_ids) ids.push_back(std::to_string(d));
    std::ofstream log(so.log, std::ios::app);
    log << "== attempt " << spec.attempt << ": " << spec.technique << " x" << spec.device_ids.size() << " on "
        << spec.node << " devices " << join(ids, ",") << " ==\n"
        << join(argv, " ") << "\n";
  }
  running_[spec.job] = spawn(argv, so);
}

void LocalLauncher::stop(const std::string& job, bool force) {
  auto it = running_.find(job);
  if (it == running_.end()) return;
  signal_child(it->second, force ? SIGKILL : SIGTERM);
  if (!force) signal_child(it->second, SIGCONT);  // a stopped rank runs its handler (and checkpoints) too
}

std::vector<LaunchEvent> LocalLauncher::wait(double deadline) {
  std::vector<LaunchEvent> out;
  for (;;) {
    for (int s : signals_.take())
      if (s != SIGCHLD) out.push_back({LaunchEvent::Signal, "", 0, s});
    while (auto e = reap_child()) {
      for (auto it = running_.begin(); it != running_.end(); ++it)
        if (it->second == e->pid) {
          out.push_back({LaunchEvent::Exit, it->first, e->code, 0});
          running_.erase(it);
          break;
        }
    }
    if (!out.empty()) return out;
    const double left = deadline - now();
    if (left <= 0) return out;
    struct pollfd p {signals_.fd(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::ceil(std::min(left, 3600.0) * 1000)));
  }
}

double LocalLauncher::now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int64_t LocalLauncher::pid(const std::string& job) const {
  auto it = running_.find(job);
  return it == running_.end() ? 0 : it->second;
}

JobProgress LocalLauncher::progress(const std::string& job, int64_t since_step) {
  Metrics& m = metrics_[job];
  if (m.since != since_step) m = Metrics{0, since_step};  // a new attempt: read again from the top
  const std::string path = run_files::metrics_path(job_dir(job));
  std::ifstream in(path, std::ios::binary);
  if (in) {
    in.seekg(0, std::ios::end);
    const int64_t size = in.tellg();
    if (size < m.offset) m = Metrics{0, since_step};  // rewritten by a resumed worker
    in.seekg(m.offset);
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // a line still being written: read it next time
      m.offset += static_cast<int64_t>(line.size()) + 1;
      const auto parsed = run_files::parse_metrics_line(line);
      if (!parsed) continue;
      const int64_t step = parsed->step;
      const double time = parsed->time;
      m.last_step = std::max(m.last_step, step);
      m.loss = parsed->loss;
      if (step <= since_step) continue;
      if (m.first_step < 0) {
        m.first_step = step;
        m.first_time = time;
      }
      m.last_time = time;
    }
  }
  JobProgress p;
  p.checkpoint = run_files::newest_checkpoint(job_dir(job));
  p.step = std::max(m.last_step, p.checkpoint);
  p.loss = m.loss;
  p.diverged = run_files::read_diverged(job_dir(job)).value_or(0);
  p.infeasible = run_files::read_infeasible(job_dir(job)).value_or("");
  if (const auto h = run_files::read_heartbeat(job_dir(job))) {
    p.beat = h->beat;
    p.phase = h->phase;
    p.step = std::max(p.step, h->step);  // every step, where metrics lines come every log_every
  }
  if (m.first_step > 0 && m.last_step > m.first_step && m.last_time > m.first_time)
    p.step_time = (m.last_time - m.first_time) / static_cast<double>(m.last_step - m.first_step);
  else if (m.first_step > since_step && m.first_time > 0)
    p.step_time = m.first_time / static_cast<double>(m.first_step - since_step);
  return p;
}

namespace {
// Runs, and is not a zombie waiting for a parent that does not reap.
bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'Z';
}
}  // namespace

bool LocalLauncher::end_orphan(int64_t pid, double grace) {
  if (pid <= 0) return false;
  // Only a worker of this run: the pid may have been reused since.
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string a; std::getline(in, a, '\0');) args.push_back(a);
  const auto worker = std::find(args.begin(), args.end(), "worker");
  const auto dir = std::find(args.begin(), args.end(), "--run-dir");
  if (worker == args.end() || dir == args.end() || dir + 1 == args.end() || *(dir + 1) != o_.run_dir) return false;
  const auto p = static_cast<pid_t>(pid);
  signal_child(p, SIGTERM);
  signal_child(p, SIGCONT);
  const double until = now() + grace;
  while (alive(p) && now() < until) ::usleep(100000);
  if (alive(p)) signal_child(p, SIGKILL);
  while (alive(p) && now() < until + 5) ::usleep(100000);
  return true;
}

std::optional<StepMetrics> LocalLauncher::checkpoint_metrics(const std::string& job, int64_t step) {
  const auto meta = run_files::checkpoint_meta(job_dir(job), step);
  if (!meta || !meta->contains("loss")) return std::nullopt;
  StepMetrics s;
  auto number = [](const nlohmann::json& v) { return v.is_number() ? v.get<double>() : NAN; };  // NaN is stored as null
  s.loss = number((*meta)["loss"]);
  s.eval_loss = meta->contains("eval_loss") ? number((*meta)["eval_loss"]) : NAN;
  for (const auto& [k, v] : meta->items())
    if (k.rfind("eval.", 0) == 0) s.tasks[k] = number(v);
  return s;
}

std::optional<JobResult> LocalLauncher::result(const std::string& job) {
  // A worker that died mid-write left no result (the write is atomic); one
  // that wrote a malformed file has no result either: the job is retried.
  std::optional<run_files::Result> f;
  try {
    f = run_files::read_result(job_dir(job));
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!f) return std::nullopt;
  JobResult r;
  r.steps = f->steps;
  r.final_loss = f->final_loss;
  r.eval_loss = f->eval_loss.value_or(NAN);
  r.tokens = f->tokens;
  r.wall_s = f->wall_s;
  return r;
}

}  // namespace saturn
