#include "search_parse.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "hyperparams.h"
#include "text.h"
#include "workload.h"

namespace saturn {

SearchKey search_key(const Field& key, const std::vector<ModelSpec>& models) {
  const std::string k = key.text();
  const HyperparamKey* hk = find_hyperparam_key(k);
  const FinetuneKey* fk = find_finetune_key(k);
  if (hk) return {hk->type, hk->min, hk->max, hk->min_open, hk->max_open};
  if (fk) {
    for (const auto& m : models)
      if (!m.finetune.lora_on())
        key.fail("model " + quoted(m.name) + " fine-tunes in full; " + k + " is searched with finetune.method: lora");
    return {fk->type, fk->min, fk->max, fk->min_open, fk->max_open};
  }
  SearchKey out{ValueType::Real, -INFINITY, INFINITY};
  for (const auto& m : models) {
    const ConfigKey* c = find_config_key(m.arch, k);
    if (!c) {
      std::vector<std::string> known;
      for (const auto& h : hyperparam_keys()) known.push_back(h.key);
      for (const auto& h : finetune_keys()) known.push_back(h.key);
      for (const auto& c2 : arch_config_keys(m.arch)) known.push_back(c2.key);
      std::string sug = hyperparam_alias(k);
      if (sug.empty()) sug = did_you_mean(k, known);
      key.fail(std::string("not a hyperparameter nor a config key of model ") + quoted(m.name) + " (arch " +
               arch_name(m.arch) + ")" + (sug.empty() ? "" : ", did you mean " + quoted(sug) + "?"));
    }
    out.type = c->type;
    out.min = std::max(out.min, c->min);
    out.max = std::min(out.max, c->max);
  }
  return out;
}

// Reads a grid; config-key axes must be keys of every model in `models`.
Grid parse_grid(const Field& f, const std::vector<ModelSpec>& models) {
  Grid g;
  if (f.is_null()) return g;
  std::set<std::string> seen;
  for (const auto& [key, values] : f.entries()) {
    const std::string k = key.text();
    if (!seen.insert(k).second) key.fail("duplicate key " + quoted(excerpt(k, 64)));
    if (k == "trial") key.fail("trial is the sampled search's own key (search.random)");
    GridAxis axis{k, {}};
    const SearchKey sk = search_key(key, models);
    auto items = values.items_or_scalar();
    if (items.empty()) values.expected("at least one value");
    for (const Field& item : items) {
      Value v = read_value(item, sk.type, sk.min, sk.max, sk.min_open, sk.max_open);
      for (const auto& prev : axis.values)
        if (prev == v) item.fail("duplicate value " + value_text(v));
      axis.values.push_back(v);
    }
    g.axes.push_back(std::move(axis));
  }
  return g;
}

// search.random: trials, seed, and one distribution per other key.
RandomSearch parse_random(const Field& f, const std::vector<ModelSpec>& models, const Grid& grid) {
  RandomSearch r;
  r.trials = f.required("trials").integer(1, static_cast<int64_t>(kMaxJobs));
  if (auto seed = f.get("seed")) r.seed = static_cast<uint64_t>(seed->integer(0, 4294967295LL));
  for (const auto& [key, spec] : f.entries()) {
    const std::string k = key.text();
    if (k == "trials" || k == "seed") continue;
    if (grid.find(k)) key.fail(k + " is also in search.grid: search a key one way");
    const SearchKey sk = search_key(key, models);
    if (!spec.is_map() || spec.entries().size() != 1)
      spec.expected("one of {log: [lo, hi]}, {uniform: [lo, hi]}, {int: [lo, hi]}, {choice: [...]}");
    const auto entries = spec.entries();  // (kept: the fields below refer into it)
    const Field kind_field = entries.front().first, args = entries.front().second;
    RandomAxis a{k, {}};
    a.dist.type = sk.type;
    a.dist.kind = static_cast<Distribution::Kind>(kind_field.index_of({"log", "uniform", "int", "choice"}));
    auto items = args.items_or_scalar();
    if (a.dist.kind == Distribution::Kind::Choice) {
      if (!args.is_list() || items.empty()) args.expected("a list of at least one value");
      for (const Field& item : items) {
        Value v = read_value(item, sk.type, sk.min, sk.max, sk.min_open, sk.max_open);
        for (const auto& prev : a.dist.choices)
          if (prev == v) item.fail("duplicate value " + value_text(v));
        a.dist.choices.push_back(v);
      }
    } else {
      if (!args.is_list() || items.size() != 2) args.expected("[lo, hi]");
      if (a.dist.kind == Distribution::Kind::Int && sk.type != ValueType::Integer)
        kind_field.fail(k + " is a real number: use log or uniform");
      if (sk.type == ValueType::Flag) kind_field.fail(k + " is true or false: use choice");
      a.dist.lo = value_number(read_value(items[0], sk.type, sk.min, sk.max, sk.min_open, sk.max_open));
      a.dist.hi = value_number(read_value(items[1], sk.type, sk.min, sk.max, sk.min_open, sk.max_open));
      if (!(a.dist.lo < a.dist.hi)) args.fail("expected lo < hi, got [" + format_number(a.dist.lo) + ", " + format_number(a.dist.hi) + "]");
      if (a.dist.kind == Distribution::Kind::Log && !(a.dist.lo > 0)) items[0].fail("a log range starts above 0");
    }
    r.axes.push_back(std::move(a));
  }
  if (r.axes.empty()) f.fail("no key to sample: give at least one, e.g. lr: {log: [1e-4, 1e-2]}");
  return r;
}

EarlyStopping parse_early_stopping(const Field& f) {
  EarlyStopping e;
  const std::vector<std::string> rules = {"asha", "median"};
  if (f.is_scalar()) {
    e.rule = static_cast<EarlyStopping::Rule>(f.index_of(rules) + 1);
    return e;
  }
  if (!f.is_map()) f.expected("asha, median, or a mapping with rule: asha|median");
  f.check_keys({"rule", "metric", "eta", "min_steps", "max_rungs", "brackets", "min_jobs"});
  e.rule = static_cast<EarlyStopping::Rule>(f.required("rule").index_of(rules) + 1);
  if (auto m = f.get("metric")) {
    e.metric = m->text();
    if (e.metric != "valid_loss" && e.metric != "train_loss" && e.metric.rfind("eval.", 0) != 0)
      m->expected("valid_loss, train_loss, or a task's eval.NAME.METRIC");
  }
  if (auto v = f.get("eta")) e.eta = v->integer(2, 1000);
  if (auto v = f.get("min_steps")) e.min_steps = v->integer(1, INT64_MAX);
  if (auto v = f.get("max_rungs")) e.max_rungs = v->integer(1, 30);
  if (auto v = f.get("brackets")) {
    if (e.rule != EarlyStopping::Rule::Asha) v->fail("brackets apply to rule asha");
    e.brackets = v->integer(1, e.max_rungs);
  }
  if (auto v = f.get("min_jobs")) {
    if (e.rule != EarlyStopping::Rule::Median) v->fail("min_jobs applies to rule median");
    e.min_jobs = v->integer(1, 100000);
  }
  return e;
}

void check_early_stopping(const Field& f, const Workload& w) {
  const EarlyStopping& e = w.early_stopping;
  if (e.maximized()) {
    std::vector<std::string> known;
    for (const auto& t : w.train.eval) known.push_back(t.metric_key());
    if (std::find(known.begin(), known.end(), e.metric) == known.end())
      f.get("metric")->fail(quoted(e.metric) + " is no eval task's metric (" +
                            (known.empty() ? std::string("the workload has no eval: tasks") : join(known, ", ")) + ")");
  }
  if (e.metric == "valid_loss")
    for (const auto& m : w.models) {
      const DataSpec d = w.data_for(m);
      if (!d.valid && !(d.valid_fraction > 0))
        (f.is_map() && f.get("metric") ? *f.get("metric") : f).fail("metric valid_loss needs validation data, and model " + quoted(m.name) +
                                  " has none (data.valid_fraction is 0): give data.valid, or use metric: train_loss");
    }
  if (e.min_steps > 0 && w.train.steps > 0 && e.min_steps >= w.train.steps) {
    const Field at = f.is_map() && f.get("min_steps") ? *f.get("min_steps") : f;
    at.fail("the first rung (step " + std::to_string(e.min_steps) + ") is not below the jobs' " +
            std::to_string(w.train.steps) + " steps: no job would ever be compared");
  }
}

Selection parse_select(const Field& f, const std::vector<EvalTask>& tasks) {
  Selection s;
  std::optional<Field> metric, mode;
  if (f.is_scalar()) {
    metric = f;
  } else {
    f.check_keys({"metric", "mode"});
    metric = f.required("metric");
    mode = f.get("mode");
  }
  s.metric = metric->text();
  std::vector<std::string> known = {"valid_loss", "train_loss"};
  for (const auto& t : tasks) known.push_back(t.metric_key());
  if (std::find(known.begin(), known.end(), s.metric) == known.end())
    metric->fail("expected one of " + join(known, ", ") + ", got " + quoted(s.metric));
  s.maximize = s.metric.rfind("eval.", 0) == 0;
  if (mode) s.maximize = mode->index_of({"min", "max"}) == 1;
  return s;
}

}  // namespace saturn
