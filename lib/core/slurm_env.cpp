#include "core/slurm_env.h"

#include <cctype>
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"

extern char** environ;

namespace saturn {
namespace {

Error malformed(const std::string& what, const std::string& value, const std::string& why) {
  return data_error(what + " " + value + ": " + why);
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// Top-level comma split (commas inside brackets stay).
std::vector<std::string> split_top(const std::string& list, const std::string& what) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : list) {
    if (c == '[') ++depth;
    if (c == ']' && --depth < 0) throw malformed(what, list, "unbalanced ']'");
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (depth != 0) throw malformed(what, list, "unbalanced '['");
  out.push_back(cur);
  return out;
}

// "01-03,07" -> 01 02 03 07, keeping the lower bound's width.
std::vector<std::string> expand_ranges(const std::string& inner, const std::string& list) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= inner.size()) {
    size_t end = inner.find(',', pos);
    if (end == std::string::npos) end = inner.size();
    const std::string part = inner.substr(pos, end - pos);
    const size_t dash = part.find('-');
    const std::string lo = part.substr(0, dash), hi = dash == std::string::npos ? lo : part.substr(dash + 1);
    if (!all_digits(lo) || !all_digits(hi)) throw malformed("SLURM_JOB_NODELIST", list, "bad range \"" + part + "\"");
    const long long a = std::stoll(lo), b = std::stoll(hi);
    if (b < a) throw malformed("SLURM_JOB_NODELIST", list, "range \"" + part + "\" runs backwards");
    if (b - a > 100000) throw malformed("SLURM_JOB_NODELIST", list, "range \"" + part + "\" is too long");
    for (long long n = a; n <= b; ++n) {
      std::string s = std::to_string(n);
      if (s.size() < lo.size()) s.insert(0, lo.size() - s.size(), '0');
      out.push_back(s);
    }
    pos = end + 1;
  }
  return out;
}

// A variable's value; nullopt when it is unset or empty.
std::optional<std::string> variable(const Environment& env, const char* name) {
  auto it = env.find(name);
  if (it == env.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

int64_t positive(const std::string& what, const std::string& v) {
  if (!all_digits(v) || v.size() > 9) throw malformed(what, "\"" + v + "\"", "expected a count");
  return std::stoll(v);
}

}  // namespace

std::vector<std::string> expand_hostlist(const std::string& list) {
  std::vector<std::string> out;
  if (list.empty()) throw malformed("SLURM_JOB_NODELIST", "\"\"", "no hosts");
  for (const std::string& item : split_top(list, "SLURM_JOB_NODELIST")) {
    if (item.empty()) throw malformed("SLURM_JOB_NODELIST", list, "an empty host name");
    std::vector<std::string> names = {""};
    size_t pos = 0;
    while (pos < item.size()) {
      const size_t open = item.find('[', pos);
      const std::string text = item.substr(pos, open == std::string::npos ? std::string::npos : open - pos);
      for (auto& n : names) n += text;
      if (open == std::string::npos) break;
      const size_t close = item.find(']', open);
      std::vector<std::string> next;
      for (const auto& n : names)
        for (const auto& r : expand_ranges(item.substr(open + 1, close - open - 1), list)) next.push_back(n + r);
      names = std::move(next);
      pos = close + 1;
    }
    out.insert(out.end(), names.begin(), names.end());
  }
  return out;
}

std::vector<int64_t> expand_counts(const std::string& list) {
  std::vector<int64_t> out;
  for (const std::string& item : split_top(list, "SLURM_JOB_CPUS_PER_NODE")) {
    const size_t paren = item.find("(x");
    const int64_t n = positive("SLURM_JOB_CPUS_PER_NODE", item.substr(0, paren));
    int64_t times = 1;
    if (paren != std::string::npos) {
      if (item.back() != ')') throw malformed("SLURM_JOB_CPUS_PER_NODE", list, "expected N(xM)");
      times = positive("SLURM_JOB_CPUS_PER_NODE", item.substr(paren + 2, item.size() - paren - 3));
    }
    out.insert(out.end(), static_cast<size_t>(times), n);
  }
  return out;
}

std::optional<SlurmAllocation> slurm_allocation(
    const Environment& env, const std::function<std::vector<std::string>(const std::string&)>& hostnames) {
  auto get = [&](const char* k) { return variable(env, k); };
  const auto id = get("SLURM_JOB_ID");
  if (!id) return std::nullopt;
  if (!all_digits(*id)) throw malformed("SLURM_JOB_ID", "\"" + *id + "\"", "expected a job number");
  SlurmAllocation a;
  a.job_id = *id;
  const auto nodelist = get("SLURM_JOB_NODELIST");
  if (!nodelist) throw data_error("SLURM_JOB_ID is set but SLURM_JOB_NODELIST is not: not inside a Slurm allocation");
  a.hosts = hostnames(*nodelist);
  if (a.hosts.empty()) throw malformed("SLURM_JOB_NODELIST", *nodelist, "no hosts");
  if (auto c = get("SLURM_JOB_CPUS_PER_NODE")) {
    a.cpus = expand_counts(*c);
    if (a.cpus.size() != a.hosts.size())
      throw malformed("SLURM_JOB_CPUS_PER_NODE", *c,
                      std::to_string(a.cpus.size()) + " counts for " + std::to_string(a.hosts.size()) + " hosts");
  } else {
    const auto on = get("SLURM_CPUS_ON_NODE");
    a.cpus.assign(a.hosts.size(), on ? positive("SLURM_CPUS_ON_NODE", *on) : 1);
  }
  if (auto g = get("SLURM_GPUS_ON_NODE")) {
    a.gpus_per_node = positive("SLURM_GPUS_ON_NODE", *g);
  } else if (auto ids = get("SLURM_JOB_GPUS")) {
    for (const auto& id : split_top(*ids, "SLURM_JOB_GPUS")) {
      positive("SLURM_JOB_GPUS", id);
      ++a.gpus_per_node;
    }
  } else if (auto per = get("SLURM_GPUS_PER_NODE")) {
    const size_t colon = per->rfind(':');
    a.gpus_per_node = positive("SLURM_GPUS_PER_NODE", colon == std::string::npos ? *per : per->substr(colon + 1));
  }
  if (auto r = get("SLURM_RESTART_COUNT")) a.restart_count = positive("SLURM_RESTART_COUNT", *r);
  return a;
}

Environment slurm_environment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = kv.substr(0, eq);
    if (name.rfind("SLURM_", 0) == 0 || name.rfind("SLURMD_", 0) == 0 || name == "CUDA_VISIBLE_DEVICES")
      env[name] = kv.substr(eq + 1);
  }
  return env;
}

Cluster slurm_cluster(const SlurmAllocation& a, const Node& tmpl) {
  Cluster c;
  c.slurm = tmpl;
  const bool gpus = a.gpus_per_node > 0 && tmpl.kind != DeviceKind::Cpu;
  if (!gpus && tmpl.kind == DeviceKind::Cuda)
    throw data_error("cluster: slurm: devices.kind is cuda, but Slurm job " + a.job_id +
                     " holds no GPUs (ask for them: sbatch --gres=gpu:N)");
  for (size_t i = 0; i < a.hosts.size(); ++i) {
    Node n = tmpl;
    n.name = a.hosts[i];
    n.replicas = 1;
    if (gpus) {
      n.count = a.gpus_per_node;
    } else {  // CPU "devices": the host's CPUs, `threads` each
      n.kind = DeviceKind::Cpu;
      n.model = tmpl.kind == DeviceKind::Cpu ? tmpl.model : "";
      n.count = std::max<int64_t>(1, a.cpus[i] / std::max<int64_t>(1, tmpl.threads));
    }
    c.nodes.push_back(n);
  }
  return c;
}

std::optional<SlurmAllocation> resolve_slurm_cluster(Workload& w, const std::string& path, const Environment& env) {
  if (!w.cluster.slurm) return std::nullopt;
  try {
    auto a = slurm_allocation(env, scontrol_hostnames);
    if (a) w.cluster = slurm_cluster(*a, *w.cluster.slurm);
    return a;
  } catch (const Error& e) {
    const std::string what = e.what();
    throw Error(e.kind(), path + ": " + (what.rfind("cluster: slurm: ", 0) == 0 ? "" : "cluster: slurm: ") + what);
  }
}

std::vector<std::string> scontrol_hostnames(const std::string& list) {
  if (list.find('[') == std::string::npos) return expand_hostlist(list);
  if (list.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-,[]") !=
      std::string::npos)
    throw malformed("SLURM_JOB_NODELIST", list, "unexpected characters");
  std::vector<std::string> out;
  if (FILE* p = ::popen(("scontrol show hostnames '" + list + "' 2>/dev/null").c_str(), "r")) {
    char buf[1024];
    std::string line;
    while (std::fgets(buf, sizeof buf, p)) {
      line = buf;
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      if (!line.empty()) out.push_back(line);
    }
    if (::pclose(p) == 0 && !out.empty()) return out;
  }
  return expand_hostlist(list);  // no scontrol here: the same rules, ours
}

std::optional<SlurmTask> slurm_task(const Environment& env) {
  auto get = [&](const char* k) { return variable(env, k); };
  const auto step = get("SLURM_STEP_ID");
  const auto procid = get("SLURM_PROCID");
  if (!step || !procid || !get("SLURM_JOB_ID")) return std::nullopt;
  SlurmTask t;
  t.step = *get("SLURM_JOB_ID") + "." + *step;
  t.rank = positive("SLURM_PROCID", *procid);
  t.ntasks = get("SLURM_NTASKS") ? positive("SLURM_NTASKS", *get("SLURM_NTASKS")) : 1;
  t.local_id = get("SLURM_LOCALID") ? positive("SLURM_LOCALID", *get("SLURM_LOCALID")) : 0;
  t.host = get("SLURMD_NODENAME").value_or("");
  if (t.rank >= t.ntasks)
    throw malformed("SLURM_PROCID", *procid, "not below SLURM_NTASKS " + std::to_string(t.ntasks));
  if (auto v = get("CUDA_VISIBLE_DEVICES")) t.visible_gpus = split_top(*v, "CUDA_VISIBLE_DEVICES");
  return t;
}

int64_t step_cuda_ordinal(int64_t index, size_t visible) {
  if (visible == 0)
    throw Error(ErrorKind::Unavailable, "the Slurm step sees no GPU (CUDA_VISIBLE_DEVICES is empty): srun --gres=gpu:N");
  if (static_cast<size_t>(index) < visible) return index;
  if (visible == 1) return 0;  // each task sees only its own GPU
  throw Error(ErrorKind::Unavailable, "device cuda:" + std::to_string(index) + ": the Slurm step sees " +
                                          std::to_string(visible) + " GPUs (CUDA_VISIBLE_DEVICES)");
}

}  // namespace saturn
