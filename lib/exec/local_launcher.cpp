#include "exec/local_launcher.h"

#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/technique.h"
#include "core/text.h"
#include "exec/process.h"

namespace saturn {
namespace fs = std::filesystem;

int64_t newest_checkpoint(const std::string& job_dir) {
  int64_t best = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(job_dir + "/ckpt", ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() == 20 && name.rfind("step-", 0) == 0 && name.substr(15) == ".json")
      best = std::max<int64_t>(best, std::atoll(name.substr(5, 10).c_str()));
  }
  return best;
}

LocalLauncher::LocalLauncher(LocalLauncherOptions o, SignalPipe& signals) : o_(std::move(o)), signals_(signals) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cores_.push_back(c);
  if (cores_.empty()) cores_.push_back(0);
}

std::string LocalLauncher::job_dir(const std::string& job) const { return o_.run_dir + "/jobs/" + job; }

std::string LocalLauncher::log_path(const std::string& job) const {
  std::string name = job;
  for (char& c : name)
    if (c == '/') c = '_';
  return o_.run_dir + "/logs/" + name + ".log";
}

std::vector<std::string> LocalLauncher::worker_argv(const LaunchSpec& spec,
                                                    const std::vector<std::string>& devices) const {
  std::vector<std::string> argv = {o_.saturn, "worker", o_.workload, "--job", spec.job, "--run-dir", o_.run_dir,
                                   "--devices", join(devices, ","), "--technique", spec.technique};
  for (const auto& other : spec.fused_with) argv.insert(argv.end(), {"--job", other});
  for (const auto& flag : knob_flags(spec.knobs)) argv.push_back(flag);
  argv.insert(argv.end(), o_.worker_args.begin(), o_.worker_args.end());
  return argv;
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
  std::vector<std::string> argv = worker_argv(spec, devices);
  if (!node.cuda) argv.insert(argv.end(), {"--threads", std::to_string(node.threads)});
  return argv;
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
  if (it != running_.end()) signal_child(it->second, force ? SIGKILL : SIGTERM);
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
  const std::string path = job_dir(job) + "/metrics.jsonl";
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
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object() || !j.contains("step") || !j.contains("time") || !j.contains("loss")) continue;
      const int64_t step = j["step"].get<int64_t>();
      const double time = j["time"].get<double>();
      m.last_step = std::max(m.last_step, step);
      m.loss = j["loss"].get<double>();
      if (step <= since_step) continue;
      if (m.first_step < 0) {
        m.first_step = step;
        m.first_time = time;
      }
      m.last_time = time;
    }
  }
  JobProgress p;
  p.checkpoint = newest_checkpoint(job_dir(job));
  p.step = std::max(m.last_step, p.checkpoint);
  p.loss = m.loss;
  if (m.first_step > 0 && m.last_step > m.first_step && m.last_time > m.first_time)
    p.step_time = (m.last_time - m.first_time) / static_cast<double>(m.last_step - m.first_step);
  else if (m.first_step > since_step && m.first_time > 0)
    p.step_time = m.first_time / static_cast<double>(m.first_step - since_step);
  return p;
}

std::optional<JobResult> LocalLauncher::result(const std::string& job) {
  std::ifstream in(job_dir(job) + "/result.json");
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("steps") || !j.contains("final_loss")) return std::nullopt;
  JobResult r;
  r.steps = j["steps"].get<int64_t>();
  r.final_loss = j["final_loss"].is_number() ? j["final_loss"].get<double>() : NAN;
  r.eval_loss = j.contains("eval_loss") && j["eval_loss"].is_number() ? j["eval_loss"].get<double>() : NAN;
  r.wall_s = j.value("wall_s", 0.0);
  return r;
}

}  // namespace saturn
