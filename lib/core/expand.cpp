#include <fnmatch.h>

#include <algorithm>
#include <map>

#include "error.h"
#include "hash.h"
#include "job.h"
#include "text.h"

namespace saturn {

std::string JobShape::canonical() const {
  const std::string ft = shape_canonical(finetune);
  return std::string("arch=") + arch_name(arch) + "|config=" + config.canonical() +
         "|batch_size=" + std::to_string(batch_size) + (ft.empty() ? "" : "|finetune=" + ft);
}

namespace {

// The short name of a grid key in ids: "bs" for batch_size; config keys as they are.
std::string abbrev(const std::string& key) {
  if (const HyperparamKey* h = find_hyperparam_key(key)) return h->abbrev;
  if (const FinetuneKey* f = find_finetune_key(key)) return f->abbrev;
  return key;
}

std::string point_text(const std::vector<std::pair<std::string, Value>>& point) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : point) parts.push_back(abbrev(k) + "=" + value_text(v));
  return join(parts, ",");
}

}  // namespace

JobSet expand_jobs(const Workload& w) {
  JobSet set;
  std::map<std::string, size_t> shape_by_hash;
  for (size_t mi = 0; mi < w.models.size(); ++mi) {
    const ModelSpec& m = w.models[mi];
    Grid g = w.grid_for(m);
    // The sampled search: one more axis, its values the trials (1-based).
    if (w.random.trials > 0) {
      GridAxis trial{"trial", {}};
      for (int64_t t = 1; t <= w.random.trials; ++t) trial.values.emplace_back(t);
      g.axes.push_back(std::move(trial));
    }
    const std::string fixed = std::string(arch_name(m.arch)) + "|path=" + m.path +
                              "|data=" + canonical(w.data_for(m)) + "|train=" + canonical(w.train);
    std::vector<size_t> idx(g.axes.size(), 0);
    while (true) {
      Job job;
      job.model = mi;
      job.config = m.config;
      job.finetune = m.finetune;
      for (size_t a = 0; a < g.axes.size(); ++a) {
        const GridAxis& axis = g.axes[a];
        const Value& v = axis.values[idx[a]];
        auto set = [&](const std::string& key, const Value& x) {
          if (find_hyperparam_key(key)) set_hyperparam(job.hp, key, x);
          else if (find_finetune_key(key)) set_finetune_key(job.finetune, key, x);
          else job.config.set(key, x);
        };
        if (axis.key == "trial") {  // the trial's number, then what it drew
          job.point.emplace_back(axis.key, v);
          for (const auto& [key, x] : w.random.point(std::get<int64_t>(v) - 1)) {
            set(key, x);
            job.point.emplace_back(key, x);
          }
          continue;
        }
        set(axis.key, v);
        if (axis.values.size() > 1) job.point.emplace_back(axis.key, v);
      }
      job.id = job.point.empty() ? m.name : m.name + "/" + point_text(job.point);
      // The starting weights are part of what a job is (the step cost is not:
      // shapes ignore them).
      const std::string ft = canonical(job.finetune);
      job.hash = content_hash(fixed + "|config=" + job.config.canonical() + "|hp=" + canonical(job.hp) +
                              (m.from.empty() ? "" : "|from=" + m.from) + (ft.empty() ? "" : "|finetune=" + ft));

      JobShape shape;
      shape.arch = m.arch;
      shape.config = job.config;
      shape.batch_size = job.hp.batch_size;
      shape.finetune = job.finetune;
      shape.hash = content_hash(shape.canonical() + (m.path.empty() ? "" : "|path=" + m.path));
      auto [it, fresh] = shape_by_hash.emplace(shape.hash, set.shapes.size());
      if (fresh) {
        std::vector<std::pair<std::string, Value>> dims;
        for (const auto& [k, v] : job.point)
          if (k == "batch_size" || k == "lora.rank" || k == "lora.dropout" || find_config_key(m.arch, k)) dims.emplace_back(k, v);
        const bool has_batch = std::any_of(dims.begin(), dims.end(), [](const auto& d) { return d.first == "batch_size"; });
        if (!has_batch && (!g.find("batch_size") || g.find("batch_size")->values.size() == 1))
          dims.emplace_back("batch_size", job.hp.batch_size);
        shape.id = m.name + "/" + point_text(dims);
        set.shapes.push_back(shape);
      }
      job.shape = it->second;
      set.shapes[job.shape].jobs.push_back(set.jobs.size());
      set.jobs.push_back(std::move(job));

      size_t a = g.axes.size();
      while (a > 0 && ++idx[a - 1] == g.axes[a - 1].values.size()) idx[--a] = 0;
      if (a == 0) break;
    }
  }
  return set;
}

JobSet select_jobs(const JobSet& set, const std::vector<std::string>& patterns) {
  auto matches = [](const std::string& pattern, const std::string& id) {
    return ::fnmatch(pattern.c_str(), id.c_str(), 0) == 0 || ::fnmatch((pattern + "/*").c_str(), id.c_str(), 0) == 0;
  };
  JobSet out;
  std::map<size_t, size_t> shape_of;  // set's shape -> out's
  std::vector<bool> used(patterns.size(), false);
  for (const Job& j : set.jobs) {
    bool keep = false;
    for (size_t p = 0; p < patterns.size(); ++p)
      if (matches(patterns[p], j.id)) keep = used[p] = true;
    if (!keep) continue;
    auto [it, fresh] = shape_of.emplace(j.shape, out.shapes.size());
    if (fresh) {
      out.shapes.push_back(set.shapes[j.shape]);
      out.shapes.back().jobs.clear();
    }
    Job k = j;
    k.shape = it->second;
    out.shapes[k.shape].jobs.push_back(out.jobs.size());
    out.jobs.push_back(std::move(k));
  }
  for (size_t p = 0; p < patterns.size(); ++p)
    if (!used[p])
      throw usage_error("--jobs: no job matches " + quoted(patterns[p]) + " (saturn jobs W.yaml lists them)");
  return out;
}

}  // namespace saturn
