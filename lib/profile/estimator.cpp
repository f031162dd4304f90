#include "profile/estimator.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/units.h"
#include "profile/model_cost.h"

namespace saturn {
namespace {

double knob(const std::string& knobs, const std::string& k, double def) {
  const auto v = knob_value(knobs, k);
  return v ? std::stod(*v) : def;
}

bool is_cpu(const std::string& device) { return device == "cpu"; }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

Estimator::Estimator(EstimateOptions o, const std::vector<ProfileEntry>& measured, const JobSet& jobs)
    : o_(std::move(o)) {
  std::map<std::pair<Technique, std::string>, std::vector<double>> ratios;
  for (const auto& e : measured) {
    if (e.source != ProfileSource::Measured || !e.feasible || e.step_time <= 0) continue;
    auto shape = std::find_if(jobs.shapes.begin(), jobs.shapes.end(), [&](const JobShape& s) { return s.hash == e.key.shape; });
    if (shape == jobs.shapes.end()) continue;
    if (auto ideal = ideal_step_time(*shape, e.key)) ratios[{e.key.technique, e.key.device}].push_back(*ideal / e.step_time);
  }
  for (auto& [k, v] : ratios) fits_.push_back({k.first, k.second, median(v)});
}

double Estimator::efficiency(Technique t, const std::string& device, bool* calibrated) const {
  for (Technique want : {t, Technique::Single, Technique::Ddp})
    for (const auto& f : fits_)
      if (f.technique == want && f.device == device) {
        if (calibrated) *calibrated = true;
        return f.efficiency;
      }
  if (calibrated) *calibrated = false;
  return is_cpu(device) ? o_.default_efficiency_cpu : o_.default_efficiency_gpu;
}

std::optional<MemoryUse> Estimator::memory(const JobShape& shape, const ProfileKey& key) const {
  const auto cost = model_cost(shape.arch, shape.config, shape.finetune);
  if (!cost) return std::nullopt;
  // P: every parameter; W: those that train (all, or LoRA's adapters), the
  // only ones with gradients and optimizer state. FSDP shards the frozen
  // base (P - W) too, and spilling keeps it in host memory with the rest.
  const double n = static_cast<double>(key.devices), P = cost->params, W = cost->trainable;
  const bool bf16 = o_.precision == Precision::Bf16 || (o_.precision == Precision::Auto && !is_cpu(key.device));
  const double state = o_.optimizer == Optimizer::AdamW ? 8 : 4;
  const double act_scale = bf16 ? 0.5 : 1.0;
  const double batch = static_cast<double>(shape.batch_size);
  // Samples per forward pass on a rank holding `share` of the batch (gradient
  // accumulation over micro-batches of "mb").
  const double mb = knob(key.knobs, "mb", 0);
  auto pass = [mb](double share) { return mb > 0 ? std::min(mb, share) : share; };
  // The largest block: all its parameters (gathered or copied in), and its
  // trainable ones (gradients).
  double largest = 0, largest_trainable = 0;
  for (double b : cost->block_params) largest = std::max(largest, b);
  for (double b : cost->block_trainable) largest_trainable = std::max(largest_trainable, b);
  MemoryUse m;
  switch (key.technique) {
    case Technique::Single:
    case Technique::Fused: {
      // A fused group holds K models (and K batches of activations); fused
      // LoRA jobs share one frozen base (P - W) and hold K adapter sets.
      const double k = knob(key.knobs, "k", 1);
      const double shared = shape.finetune.lora_on() ? P - W : 0;
      m.weights = (shared + k * (P - shared)) * (bf16 ? 6 : 4);  // float32 master + autocast's bf16 copies
      m.gradients = k * 4 * W;
      m.optimizer = k * state * W;
      m.activations = k * act_scale * cost->activation_bytes * pass(batch);
      break;
    }
    case Technique::Ddp:
      m.weights = 4 * P + (bf16 ? 2 * P : 0);
      m.gradients = 4 * W;
      m.optimizer = state * W;
      m.activations = act_scale * cost->activation_bytes * pass(std::ceil(batch / n));
      m.buffers = 4 * std::min(W, double(1 << 24));  // one flattened all-reduce bucket
      break;
    case Technique::Fsdp: {
      // Shards of everything, plus one block gathered in full (two while the
      // next is gathered); offloaded, the shards and optimizer state are in
      // host memory. With recompute, each block's input and one block's
      // activations; without, every block's.
      const bool offload = knob(key.knobs, "offload", 0) != 0;
      const double blocks = static_cast<double>(std::max<size_t>(1, cost->block_params.size()));
      m.weights = (offload ? 0 : 4 * P / n) + 2 * 4 * largest;
      m.gradients = (offload ? 0 : 4 * W / n) + 4 * largest_trainable;
      m.optimizer = offload ? 0 : state * W / n;
      m.activations = act_scale * cost->activation_bytes * pass(std::ceil(batch / n));
      if (knob(key.knobs, "recompute", 1) != 0) m.activations *= 2.0 / blocks;
      break;
    }
    case Technique::Pipeline: {
      // One stage of blocks per device; the activations of every micro-batch
      // in flight (GPipe), or of at most n of the M (1F1B, the first stage).
      m.weights = 4 * P / n + 2 * 4 * largest;
      m.gradients = 4 * W / n + 4 * largest_trainable;
      m.optimizer = state * W / n + state * largest_trainable;
      m.activations = act_scale * cost->activation_bytes * batch / n;
      const double micro = knob(key.knobs, "micro", 4 * n);
      if (knob_value(key.knobs, "schedule") != "gpipe") m.activations *= std::min(n, micro) / micro;
      break;
    }
    case Technique::Spill: {
      // Blocks (a frozen base too) live in host memory; a group and the
      // prefetched next one on the device.
      const double group = knob(key.knobs, "group", 1);
      m.weights = 2 * 4 * group * largest;
      m.gradients = 2 * 4 * group * largest_trainable;
      m.optimizer = 0;  // updated on the host
      // Boundary activations of every group, and one group's full activations (recompute).
      const double blocks = static_cast<double>(cost->block_params.size());
      m.activations = act_scale * cost->activation_bytes * batch * (1.0 / blocks + knob(key.knobs, "group", 1) / blocks);
      break;
    }
  }
  return m;
}

std::optional<double> Estimator::ideal_step_time(const JobShape& shape, const ProfileKey& key) const {
  const auto cost = model_cost(shape.arch, shape.config, shape.finetune);
  const GpuModel* dev = o_.catalog->find(key.device);
  if (!cost || !dev) return std::nullopt;
  // Gradients of the trainable parameters (W) are reduced or copied back;
  // FSDP gathers and spilling copies in every parameter (P, a frozen base too).
  const double n = static_cast<double>(key.devices), W = cost->trainable, P = cost->params;
  const bool bf16 = o_.precision == Precision::Bf16 || (o_.precision == Precision::Auto && !is_cpu(key.device));
  double peak = bf16 ? dev->bf16_flops : dev->fp32_flops;
  if (is_cpu(key.device)) peak *= static_cast<double>(std::max<int64_t>(key.threads, 1));
  const double flops = cost->flops_per_sample * static_cast<double>(shape.batch_size);
  const double grad_bytes = 4 * W;
  const double link = dev->link_bandwidth, host = dev->host_bandwidth;
  switch (key.technique) {
    case Technique::Single: return flops / peak;
    case Technique::Fused: return knob(key.knobs, "k", 1) * flops / peak;  // the same work, in fewer launches
    case Technique::Ddp:
      // Compute split over n; the ring all-reduce moves 2 (n-1)/n of the
      // gradients, after the backward pass (not overlapped).
      return flops / (n * peak) + 2 * (n - 1) / n * grad_bytes / link;
    case Technique::Fsdp: {
      // Two all-gathers of the parameters and one reduce-scatter of the
      // gradients; recompute adds a forward pass (1/3 of the step); offload
      // moves the shard to the device twice and its gradients back once.
      // Accumulating, each micro-batch gathers and reduce-scatters again.
      const double mb = knob(key.knobs, "mb", 0);
      const double share = std::ceil(static_cast<double>(shape.batch_size) / n);
      const double passes = mb > 0 ? std::ceil(share / mb) : 1;
      const double compute = flops / (n * peak) * (knob(key.knobs, "recompute", 1) != 0 ? 4.0 / 3.0 : 1.0);
      const double host_copies = knob(key.knobs, "offload", 0) != 0 ? passes * (2 * 4 * P + 4 * W) / n / host : 0;
      return compute + passes * (n - 1) / n * (2 * 4 * P + grad_bytes) / link + host_copies;
    }
    case Technique::Pipeline: {
      const double m = knob(key.knobs, "micro", 4 * n);
      const double bubble = (m + n - 1) / m;
      const double acts = 2 * (n - 1) * cost->activation_bytes / std::max(1.0, static_cast<double>(cost->block_params.size())) *
                          static_cast<double>(shape.batch_size);
      return bubble * flops / (n * peak) + acts / link;
    }
    case Technique::Spill: {
      // Every block's weights go to the device twice (forward, backward) and
      // its gradients come back once; copies overlap compute, recompute adds
      // a forward pass (1/3 of the step).
      const double compute = flops * (4.0 / 3.0) / peak;
      const double copies = (2 * (bf16 ? 2.0 : 4.0) * P + grad_bytes) / host;
      return std::max(compute, copies);
    }
  }
  return std::nullopt;
}

std::optional<ProfileEntry> Estimator::estimate(const JobShape& shape, const ProfileKey& key) const {
  const auto ideal = ideal_step_time(shape, key);
  const auto mem = memory(shape, key);
  const GpuModel* dev = o_.catalog->find(key.device);
  if (!ideal || !mem || !dev) return std::nullopt;
  ProfileEntry e;
  e.key = key;
  e.shape_id = shape.id;
  e.source = ProfileSource::Estimated;
  e.accounted_memory = static_cast<int64_t>(mem->total());
  e.peak_memory = e.accounted_memory;
  const int64_t budget = o_.memory_budget > 0 ? o_.memory_budget : dev->memory;
  if ((key.technique == Technique::Ddp || key.technique == Technique::Fsdp || key.technique == Technique::Pipeline) &&
      key.devices < 2) {
    e.feasible = false;
    e.reason = std::string(technique_name(key.technique)) + " needs at least 2 devices";
  } else if (key.technique == Technique::Pipeline &&
             key.devices > static_cast<int64_t>(model_cost(shape.arch, shape.config, shape.finetune)->block_params.size())) {
    e.feasible = false;
    e.reason = "more pipeline stages than the model has blocks";
  } else if (mem->total() > static_cast<double>(budget)) {
    e.feasible = false;
    e.reason = "needs " + human_bytes(mem->total()) + " per device, over the " +
               format_bytes(budget) + " budget";
  }
  if (e.feasible) e.step_time = *ideal / efficiency(key.technique, key.device);
  return e;
}

}  // namespace saturn
