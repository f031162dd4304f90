#include "profile/trials.h"

#include <algorithm>

#include "core/catalog.h"

namespace saturn {

bool engine_implements(Technique t) { return true; }

int64_t fused_k(const std::string& knobs) {
  const auto k = knob_value(knobs, "k");
  return k ? std::stoll(*k) : 1;
}

namespace {

// Gradient accumulation: "mb=M" for M = half a rank's share, a quarter, ... 1.
std::vector<std::string> accumulation_knobs(int64_t devices, int64_t batch) {
  std::vector<std::string> out;
  for (int64_t m = (batch + devices - 1) / devices / 2; m >= 1; m /= 2) out.push_back("mb=" + std::to_string(m));
  return out;
}

std::vector<std::string> with_accumulation(std::vector<std::string> knobs, int64_t devices, int64_t batch) {
  for (auto& k : accumulation_knobs(devices, batch)) knobs.push_back(std::move(k));
  return knobs;
}

}  // namespace

std::optional<std::string> less_accumulation(const std::string& knobs, int64_t devices, int64_t batch) {
  const auto mb = knob_value(knobs, "mb");
  if (!mb) return std::nullopt;
  const int64_t m = std::stoll(*mb);
  const int64_t share = (batch + devices - 1) / devices;
  return 2 * m >= share ? std::string() : "mb=" + std::to_string(2 * m);
}

std::vector<std::string> technique_knobs(Technique t, int64_t devices, int64_t batch, bool cuda, int64_t jobs) {
  if (t == Technique::Single || t == Technique::Ddp) return with_accumulation({""}, devices, batch);
  if (t == Technique::Fused) {
    std::vector<std::string> out;
    for (int64_t k = 2; k <= jobs; k *= 2) out.push_back("k=" + std::to_string(k));
    return out;
  }
  if (t == Technique::Fsdp) {
    std::vector<std::string> out = {"", "recompute=0"};
    if (cuda) out.push_back("offload=1");  // a CPU device's memory is the host's: nothing to gain
    return with_accumulation(out, devices, batch);
  }
  if (t != Technique::Pipeline) return {""};
  std::vector<std::string> out;
  for (int64_t m : {devices, 2 * devices, 4 * devices})
    if (m <= batch) out.push_back("micro=" + std::to_string(m));
  if (out.empty()) out.push_back("micro=" + std::to_string(batch));
  return out;
}

std::vector<DeviceGroup> device_groups(const Workload& w, bool cuda_here) {
  std::vector<DeviceGroup> groups;
  for (const Node& n : w.cluster.instances()) {
    DeviceGroup g;
    g.kind = n.kind == DeviceKind::Auto ? (cuda_here ? DeviceKind::Cuda : DeviceKind::Cpu) : n.kind;
    g.model = !n.model.empty() ? n.model : "cpu";
    if (g.kind == DeviceKind::Cpu && n.kind == DeviceKind::Auto) g.model = "cpu";
    g.count = n.count;
    g.threads = g.kind == DeviceKind::Cpu ? n.threads : 0;
    const GpuModel* m = default_catalog().find(g.model);
    g.memory = n.memory > 0 ? n.memory : (m ? m->memory : 0);
    g.memory -= device_reserve(n, g.kind, g.memory);  // what plans may use
    auto same = std::find_if(groups.begin(), groups.end(), [&](const DeviceGroup& o) {
      return o.kind == g.kind && o.model == g.model && o.count == g.count && o.threads == g.threads && o.memory == g.memory;
    });
    if (same != groups.end()) {
      same->nodes.push_back(n.name);
    } else {
      g.nodes.push_back(n.name);
      groups.push_back(g);
    }
  }
  return groups;
}

std::vector<int64_t> technique_device_counts(Technique t, int64_t per_node) {
  if (t == Technique::Single || t == Technique::Spill) return {1};
  if (t == Technique::Fused) return {1};
  std::vector<int64_t> c;
  for (int64_t n = 2; n <= per_node; ++n) c.push_back(n);
  return c;
}

std::vector<Trial> enumerate_trials(const Workload& w, const JobSet& jobs, const std::vector<DeviceGroup>& groups) {
  std::vector<Trial> out;
  for (size_t s = 0; s < jobs.shapes.size(); ++s) {
    const JobShape& shape = jobs.shapes[s];
    for (size_t g = 0; g < groups.size(); ++g)
      for (Technique t : w.techniques) {
        if (!engine_implements(t) || job_refuses(shape.arch, shape.finetune, t)) continue;
        for (int64_t n : technique_device_counts(t, groups[g].count)) {
          if (n > shape.batch_size) continue;  // every rank needs a sample
          for (const auto& knobs : technique_knobs(t, n, shape.batch_size, groups[g].kind == DeviceKind::Cuda,
                                                   static_cast<int64_t>(shape.jobs.size()))) {
            Trial tr;
            tr.shape = s;
            tr.group = g;
            tr.key = {shape.hash, t, knobs, groups[g].model, n, groups[g].threads};
            tr.job = jobs.jobs[shape.jobs.front()].id;
            out.push_back(tr);
          }
        }
      }
  }
  return out;
}

int64_t naive_trial_count(const Workload& w, const JobSet& jobs, const std::vector<DeviceGroup>& groups) {
  int64_t per_job = 0;
  for (const auto& g : groups)
    for (Technique t : w.techniques)
      if (engine_implements(t)) per_job += static_cast<int64_t>(technique_device_counts(t, g.count).size());
  return per_job * static_cast<int64_t>(jobs.jobs.size());
}

}  // namespace saturn
