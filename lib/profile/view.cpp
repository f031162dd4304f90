#include "profile/view.h"

#include "profile/estimator.h"
#include "profile/model_cost.h"

#include "core/units.h"

namespace saturn {

void apply_budget(ProfileEntry& e, int64_t budget, bool cpu) {
  if (budget <= 0) return;
  if (e.accounted_memory > budget) {
    e.feasible = false;
    e.reason = "over the " + format_bytes(budget) + " budget by saturn's accounting: " + human_bytes(e.accounted_memory) +
               " per device";
  } else if (cpu && e.source == ProfileSource::Measured && e.feasible && e.peak_memory > budget &&
             e.key.technique != Technique::Spill) {
    // (A spilling trial's host-resident state shares a cpu device's RSS with
    // what the device holds, so its RSS says nothing about the device budget;
    // the accounting above decides.)
    e.feasible = false;
    e.reason = "over the " + format_bytes(budget) + " budget: measured peak RSS " + human_bytes(e.peak_memory) +
               " per device";
  }
}

// The knob settings of one strategy, each set one row (its fastest stored
// setting wins): a fused group of each size K is a strategy of its own.
std::vector<std::vector<std::string>> strategy_knob_sets(Technique t, int64_t n, const JobShape& shape,
                                                         const DeviceGroup& g) {
  auto all = technique_knobs(t, n, shape.batch_size, g.kind == DeviceKind::Cuda, static_cast<int64_t>(shape.jobs.size()));
  if (t != Technique::Fused) return {all};
  std::vector<std::vector<std::string>> each;
  for (auto& k : all) each.push_back({k});
  return each;
}

// The estimate of the fastest feasible knob setting (else the first's).
std::optional<ProfileEntry> best_estimate(const Estimator& est, const JobShape& shape, const ProfileKey& key,
                                          const std::vector<std::string>& knob_settings) {
  std::optional<ProfileEntry> best;
  for (const auto& knobs : knob_settings) {
    ProfileKey k = key;
    k.knobs = knobs;
    auto e = est.estimate(shape, k);
    if (e && (!best || (e->feasible && (!best->feasible || e->step_time < best->step_time)))) best = e;
  }
  return best;
}

std::vector<ProfileRow> profile_view(const Workload& w, const JobSet& jobs, const std::vector<DeviceGroup>& groups,
                                     const ProfileStore& store, const TextTokenCounts& counted) {
  // Every measurement calibrates, whatever its shape (estimator.h).
  const auto stored = store.entries();
  const EstimateOptions eo = estimate_options(w);
  std::vector<ProfileRow> rows;
  for (size_t s = 0; s < jobs.shapes.size(); ++s) {
    const JobShape& shape = jobs.shapes[s];
    const int64_t steps = job_steps(w, jobs.jobs[shape.jobs.front()], counted);  // (a shape's jobs share data and steps)
    // A checkpoint: the trained parameters and their optimizer state (a LoRA job's adapters only).
    const auto cost = model_cost(shape.arch, shape.config, shape.finetune);
    const double state_bytes = cost ? cost->trainable * (4 + (w.train.optimizer == Optimizer::AdamW ? 8 : 4)) : 0;
    for (size_t g = 0; g < groups.size(); ++g) {
      EstimateOptions go = eo;
      go.memory_budget = groups[g].memory;
      const Estimator est(go, stored, jobs);
      for (Technique t : w.techniques) {
        for (int64_t n : technique_device_counts(t, groups[g].count))
        for (const auto& knob_settings : strategy_knob_sets(t, n, shape, groups[g])) {
          const ProfileKey key{shape.hash, t, "", groups[g].model, n, groups[g].threads};
          ProfileRow row;
          row.shape = s;
          row.group = g;
          // The stored knob setting with the fastest feasible step (autotuned), else the first stored.
          std::optional<ProfileEntry> e;
          for (const auto& knobs : knob_settings) {
            ProfileKey k = key;
            k.knobs = knobs;
            auto got = store.get(k);
            if (!got) continue;
            if (got->source == ProfileSource::Measured) apply_budget(*got, groups[g].memory, groups[g].kind == DeviceKind::Cpu);
            const bool better = !e || (got->feasible && (!e->feasible || got->step_time < e->step_time));
            if (better) e = got;
          }
          if (e && e->source == ProfileSource::Estimated && e->accounted_memory <= groups[g].memory) e.reset();
          if (e) {
            row.entry = *e;  // (the budget was applied above)
            row.source = e->source == ProfileSource::Measured ? "measured" : "accounting";
            row.band = {0, 1, row.source};
          } else if (auto e = best_estimate(est, shape, key, knob_settings)) {
            bool calibrated = false;
            est.efficiency(t, groups[g].model, &calibrated);
            row.entry = *e;
            row.source = calibrated ? "calibrated estimate" : "raw estimate";
            row.band = est.band(t, groups[g].model);
          } else {
            continue;
          }
          if (auto why = job_refuses(shape.arch, shape.finetune, t); why && row.entry.feasible) {
            row.entry.feasible = false;
            row.entry.reason = *why;
          }
          if (n > shape.batch_size && row.entry.feasible) {
            row.entry.feasible = false;
            row.entry.reason = "more devices than samples in a batch";
          }
          // A job's fixed cost where the entry has none (a store from before it was measured).
          if (row.entry.feasible && !(row.entry.startup > 0)) row.entry.startup = est.fixed_cost(row.entry.key);
          // A fused group checkpoints each of its K models.
          row.checkpoint_bytes = state_bytes * static_cast<double>(fused_k(row.entry.key.knobs));
          if (row.entry.feasible) row.runtime = job_runtime(w, steps, row.entry, row.checkpoint_bytes);
          rows.push_back(std::move(row));
        }
      }
    }
  }
  return rows;
}

}  // namespace saturn
