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
}  // namespace

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

EstimateOptions estimate_options(const Workload& w) {
  EstimateOptions o;
  o.optimizer = w.train.optimizer;
  o.precision = w.train.precision;
  return o;
}

std::pair<double, double> fit_floor_and_rate(const std::vector<std::array<double, 3>>& points) {
  // Minimise sum (a x + b y - 1)^2 with x = floor / measured, y = ideal / measured.
  double xx = 0, xy = 0, yy = 0, sx = 0, sy = 0;
  std::vector<double> xs;
  for (const auto& [f, c, m] : points) {
    if (!(m > 0)) continue;
    const double x = f / m, y = c / m;
    xx += x * x, xy += x * y, yy += y * y, sx += x, sy += y;
    xs.push_back(x);
  }
  if (xs.empty() || !(yy > 0)) return {1, 1};
  const double det = xx * yy - xy * xy;
  if (xs.size() >= 2 && det > 1e-9 * xx * yy) {
    const double a = (sx * yy - sy * xy) / det, b = (sy * xx - sx * xy) / det;
    if (a >= 0 && b > 0) return {a, b};
  }
  const double a = std::min(1.0, 0.8 / std::max(median(xs), 1e-12));
  return {a, std::max((sy - a * xy) / yy, 1e-12)};
}

namespace {

using Point = std::array<double, 3>;  // {floor, ideal, measured}

// A fit's {inverse efficiency, floor scale} over points: on cpu the floor
// adds to the work (least relative squares); on a GPU they overlap: steps
// well above the floor give the efficiency, steps at it the floor's scale.
std::pair<double, double> fit_points(const std::vector<Point>& v, bool cpu, double default_efficiency_gpu) {
  if (cpu) {
    const auto [a, b] = fit_floor_and_rate(v);
    return {b, a};
  }
  std::vector<double> rate, scale;
  for (const auto& [f, c, m] : v) (m > 1.5 * f ? rate.push_back(m / c) : scale.push_back(m / f));
  return {rate.empty() ? 1 / default_efficiency_gpu : median(rate), scale.empty() ? 1.0 : median(scale)};
}

double predict(const Point& p, std::pair<double, double> fit, bool cpu) {
  const double floor = p[0] * fit.second, work = p[1] * fit.first;
  return cpu ? floor + work : std::max(floor, work);
}

}  // namespace

Estimator::Estimator(EstimateOptions o, const std::vector<ProfileEntry>& measured, const JobSet& jobs)
    : o_(std::move(o)) {
  std::map<std::pair<Technique, std::string>, std::vector<Point>> points;
  std::map<std::pair<std::string, bool>, std::vector<double>> fixed;
  for (const auto& e : measured) {
    if (e.source != ProfileSource::Measured || !e.feasible || e.step_time <= 0) continue;
    if (e.startup > 0) fixed[{e.key.device, e.key.devices > 1}].push_back(e.startup);
    // The shape's figures now, else those stored when it was measured (a shape of another workload).
    std::optional<double> ideal, floor;
    auto shape = std::find_if(jobs.shapes.begin(), jobs.shapes.end(), [&](const JobShape& s) { return s.hash == e.key.shape; });
    if (shape != jobs.shapes.end()) {
      ideal = ideal_step_time(*shape, e.key);
      floor = step_floor(*shape, e.key);
    } else if (e.est_ideal > 0 && e.est_floor > 0 && o_.catalog->find(e.key.device)) {
      ideal = e.est_ideal;
      floor = e.est_floor;
    }
    if (ideal && floor && *ideal > 0) points[{e.key.technique, e.key.device}].push_back({*floor, *ideal, e.step_time});
  }
  for (auto& [k, v] : points) {
    const bool cpu = is_cpu(k.second);
    const auto [rate, scale] = fit_points(v, cpu, o_.default_efficiency_gpu);
    // Each point predicted by the fit of the others.
    double band = o_.band_one_point;
    if (v.size() >= 2) {
      double sq = 0;
      for (size_t i = 0; i < v.size(); ++i) {
        std::vector<Point> rest = v;
        rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(i));
        const double r = std::log(v[i][2] / std::max(predict(v[i], fit_points(rest, cpu, o_.default_efficiency_gpu), cpu), 1e-12));
        sq += r * r;
      }
      band = std::clamp(std::exp(2 * std::sqrt(sq / static_cast<double>(v.size()))) - 1, o_.band_min, o_.band_raw);
    }
    fits_.push_back({k.first, k.second, rate, scale, static_cast<int64_t>(v.size()), band});
  }
  for (auto& [k, v] : fixed) fixed_.push_back({k.first, k.second, median(v)});
}

EstimateBand Estimator::band(Technique t, const std::string& device) const {
  EstimateBand b;
  const Fit* f = fit(t, device);
  if (!f) {
    b.width = o_.band_raw;
    b.basis = "nothing measured on " + device;
    return b;
  }
  b.points = f->points;
  const std::string n = std::to_string(f->points) + " measured " + technique_name(f->technique) + " on " + device;
  if (f->technique == t) {
    b.width = f->band;
    b.basis = f->points == 1 ? n : "fitted to " + n;
    return b;
  }
  b.width = std::min(o_.band_raw, (1 + f->band) * (1 + o_.band_other_technique) - 1);
  b.basis = std::string(technique_name(t)) + " never measured on " + device + ": " + technique_name(f->technique) +
            "'s fit (" + n + ")";
  return b;
}

std::pair<double, double> Estimator::raw_figures(const JobShape& shape, const ProfileKey& key) const {
  const auto ideal = ideal_step_time(shape, key);
  const auto floor = step_floor(shape, key);
  if (!ideal || !floor) return {0, 0};
  return {*ideal, *floor};
}

const Estimator::Fit* Estimator::fit(Technique t, const std::string& device) const {
  for (Technique want : {t, Technique::Single, Technique::Ddp})
    for (const auto& f : fits_)
      if (f.technique == want && f.device == device) return &f;
  return nullptr;
}

double Estimator::efficiency(Technique t, const std::string& device, bool* calibrated) const {
  const Fit* f = fit(t, device);
  if (calibrated) *calibrated = f != nullptr;
  if (f) return 1 / f->inverse_efficiency;
  return is_cpu(device) ? o_.default_efficiency_cpu : o_.default_efficiency_gpu;
}

double Estimator::fixed_cost(const ProfileKey& key, bool* calibrated) const {
  const bool multi = key.devices > 1, cpu = is_cpu(key.device);
  const double rendezvous = cpu ? o_.rendezvous_cpu : o_.rendezvous_gpu;
  // Measured with the same device count class, else the other one adjusted.
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& f : fixed_)
      if (f.device == key.device && (f.multi == multi) == (pass == 0)) {
        if (calibrated) *calibrated = true;
        return pass == 0 ? f.seconds : std::max(0.0, f.seconds + (multi ? rendezvous : -rendezvous));
      }
  if (calibrated) *calibrated = false;
  return (cpu ? o_.fixed_cost_cpu : o_.fixed_cost_gpu) + (multi ? rendezvous : 0);
}

std::optional<double> Estimator::step_floor(const JobShape& shape, const ProfileKey& key) const {
  const auto cost = model_cost(shape.arch, shape.config, shape.finetune);
  if (!cost) return std::nullopt;
  const bool transformer = shape.arch == Arch::Gpt || shape.arch == Arch::Llama || shape.arch == Arch::Vit;
  // Embedding and head blocks launch few operators; count them as others.
  const double blocks = static_cast<double>(cost->block_params.size());
  const double ops = transformer ? 120 * std::max(1.0, blocks - 2) + 50 : 25 * std::max(1.0, blocks);
  // Each pass (micro-batch) launches them again; a pipeline stage holds 1/n of the blocks.
  const double n = static_cast<double>(key.devices);
  double passes = 1;
  if (const double mb = knob(key.knobs, "mb", 0); mb > 0)
    passes = std::ceil(std::ceil(static_cast<double>(shape.batch_size) / n) / mb);
  if (key.technique == Technique::Pipeline) passes = knob(key.knobs, "micro", 4 * n) / n;
  return ops * passes * (is_cpu(key.device) ? o_.op_overhead_cpu : o_.op_overhead_gpu);
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
  // The optimizer reads and writes each trained parameter and its state and
  // reads its gradient: memory-bound, at the device's bandwidth.
  const double state = o_.optimizer == Optimizer::AdamW ? 8 : 4;
  const double update = dev->memory_bandwidth > 0 ? W * (2 * 4 + 4 + 2 * state) / dev->memory_bandwidth : 0;
  switch (key.technique) {
    case Technique::Single: return flops / peak + update;
    case Technique::Fused: return knob(key.knobs, "k", 1) * (flops / peak + update);  // the same work, in fewer launches
    case Technique::Ddp:
      // Compute split over n; the ring all-reduce moves 2 (n-1)/n of the
      // gradients, after the backward pass (not overlapped).
      return flops / (n * peak) + update + 2 * (n - 1) / n * grad_bytes / link;
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
      return compute + update / n + passes * (n - 1) / n * (2 * 4 * P + grad_bytes) / link + host_copies;
    }
    case Technique::Pipeline: {
      const double m = knob(key.knobs, "micro", 4 * n);
      const double bubble = (m + n - 1) / m;
      const double acts = 2 * (n - 1) * cost->activation_bytes / std::max(1.0, static_cast<double>(cost->block_params.size())) *
                          static_cast<double>(shape.batch_size);
      return bubble * flops / (n * peak) + update / n + acts / link;
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
  if (e.feasible) {
    const Fit* f = fit(key.technique, key.device);
    const double rate = 1 / efficiency(key.technique, key.device);
    const double floor = *step_floor(shape, key) * (f ? f->floor_scale : 1.0);
    e.step_time = is_cpu(key.device) ? floor + *ideal * rate : std::max(floor, *ideal * rate);
    e.startup = fixed_cost(key);
  }
  return e;
}

}  // namespace saturn
