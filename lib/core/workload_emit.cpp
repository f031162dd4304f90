// to_yaml(): a Workload as canonical YAML that parses back to an equal value.
#include <yaml-cpp/yaml.h>

#include "error.h"
#include "text.h"
#include "units.h"
#include "workload.h"

namespace saturn {
namespace {

void emit_value(YAML::Emitter& out, const Value& v) { out << value_text(v); }

void emit_source(YAML::Emitter& out, const DataSource& s) {
  out << YAML::BeginMap << YAML::Key << "format" << YAML::Value
      << (s.format == DataFormat::Jsonl ? s.jsonl.reader.c_str() : data_format_name(s.format));
  if (s.format == DataFormat::Synthetic) {
    out << YAML::Key << "samples" << YAML::Value << s.samples;
    out << YAML::Key << "seed" << YAML::Value << s.seed;
    if (s.noise != 1.0) out << YAML::Key << "noise" << YAML::Value << format_number(s.noise);
  } else {
    out << YAML::Key << "path" << YAML::Value << s.path;
    if (s.token_bytes != 2) out << YAML::Key << "dtype" << YAML::Value << "uint32";
    if (s.format == DataFormat::Idx) out << YAML::Key << "labels" << YAML::Value << s.labels;
  }
  if (s.format == DataFormat::Jsonl) {
    const JsonlSpec& j = s.jsonl;
    if (!j.text.empty() || !j.prompt.empty() || !j.messages.empty() || !j.role.empty() || !j.content.empty() ||
        !j.roles.empty()) {
      out << YAML::Key << "fields" << YAML::Value << YAML::BeginMap;
      for (const auto& [k, v] : {std::pair<const char*, const std::string*>{"text", &j.text}, {"prompt", &j.prompt},
                                 {"input", &j.input}, {"completion", &j.completion}, {"messages", &j.messages},
                                 {"role", &j.role}, {"content", &j.content}})
        if (!v->empty()) out << YAML::Key << k << YAML::Value << *v;
      if (!j.roles.empty()) {
        out << YAML::Key << "roles" << YAML::Value << YAML::BeginMap;
        for (const auto& [from, to] : j.roles) out << YAML::Key << from << YAML::Value << to;
        out << YAML::EndMap;
      }
      out << YAML::EndMap;
    }
    if (!j.chat_template.empty()) out << YAML::Key << "template" << YAML::Value << YAML::DoubleQuoted << j.chat_template;
    out << YAML::Key << "packing" << YAML::Value << j.packing;
    out << YAML::Key << "long_examples" << YAML::Value << (j.split_long ? "split" : "truncate");
    if (j.skip_bad_lines) out << YAML::Key << "skip_bad_lines" << YAML::Value << true;
    if (s.seed != 0) out << YAML::Key << "seed" << YAML::Value << s.seed;
  }
  out << YAML::EndMap;
}

void emit_data(YAML::Emitter& out, const DataSpec& d) {
  out << YAML::BeginMap << YAML::Key << "train" << YAML::Value;
  emit_source(out, d.train);
  if (d.valid) {
    out << YAML::Key << "valid" << YAML::Value;
    emit_source(out, *d.valid);
  } else {
    out << YAML::Key << "valid_fraction" << YAML::Value << format_number(d.valid_fraction);
  }
  if (!d.tokenizer.empty()) out << YAML::Key << "tokenizer" << YAML::Value << d.tokenizer;
  out << YAML::EndMap;
}

void emit_grid(YAML::Emitter& out, const Grid& g) {
  out << YAML::BeginMap;
  for (const auto& a : g.axes) {
    out << YAML::Key << a.key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& v : a.values) emit_value(out, v);
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

void emit_early_stopping(YAML::Emitter& out, const EarlyStopping& e) {
  out << YAML::BeginMap << YAML::Key << "rule" << YAML::Value << early_stopping_rule_name(e.rule);
  out << YAML::Key << "metric" << YAML::Value << early_stopping_metric_name(e);
  out << YAML::Key << "eta" << YAML::Value << e.eta;
  if (e.min_steps > 0) out << YAML::Key << "min_steps" << YAML::Value << e.min_steps;
  out << YAML::Key << "max_rungs" << YAML::Value << e.max_rungs;
  if (e.rule == EarlyStopping::Rule::Asha) out << YAML::Key << "brackets" << YAML::Value << e.brackets;
  if (e.rule == EarlyStopping::Rule::Median) out << YAML::Key << "min_jobs" << YAML::Value << e.min_jobs;
  out << YAML::EndMap;
}

void emit_random(YAML::Emitter& out, const RandomSearch& r) {
  out << YAML::BeginMap << YAML::Key << "trials" << YAML::Value << r.trials;
  out << YAML::Key << "seed" << YAML::Value << r.seed;
  for (const auto& a : r.axes) {
    out << YAML::Key << a.key << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
        << distribution_name(a.dist.kind) << YAML::Value << YAML::BeginSeq;
    if (a.dist.kind == Distribution::Kind::Choice) {
      for (const auto& v : a.dist.choices) emit_value(out, v);
    } else if (a.dist.type == ValueType::Integer) {
      out << static_cast<int64_t>(a.dist.lo) << static_cast<int64_t>(a.dist.hi);
    } else {
      out << format_number(a.dist.lo) << format_number(a.dist.hi);
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndMap;
}

void emit_devices(YAML::Emitter& out, const Node& n) {
  out << YAML::BeginMap;
  out << YAML::Key << "kind" << YAML::Value << device_kind_name(n.kind);
  out << YAML::Key << "count" << YAML::Value << n.count;
  if (!n.model.empty()) out << YAML::Key << "model" << YAML::Value << n.model;
  if (n.memory) out << YAML::Key << "memory" << YAML::Value << format_bytes(n.memory);
  if (n.kind != DeviceKind::Cuda) out << YAML::Key << "threads" << YAML::Value << n.threads;
  if (n.reserve >= 0) out << YAML::Key << "reserve" << YAML::Value << format_bytes(n.reserve);
  else if (n.reserve_share >= 0) out << YAML::Key << "reserve" << YAML::Value << format_number(n.reserve_share * 100) + "%";
  out << YAML::EndMap;
}

void emit_node(YAML::Emitter& out, const Node& n) {
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << n.name;
  if (n.replicas != 1) out << YAML::Key << "replicas" << YAML::Value << n.replicas;
  out << YAML::Key << "devices" << YAML::Value;
  emit_devices(out, n);
  out << YAML::EndMap;
}

void emit_finetune(YAML::Emitter& out, const FinetuneSpec& f) {
  out << YAML::BeginMap << YAML::Key << "method" << YAML::Value << finetune_method_name(f.method);
  out << YAML::Key << "lora" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "rank" << YAML::Value << f.lora.rank;
  out << YAML::Key << "alpha" << YAML::Value << format_number(f.lora.alpha);
  out << YAML::Key << "dropout" << YAML::Value << format_number(f.lora.dropout);
  if (!f.lora.targets.empty()) {
    out << YAML::Key << "targets" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& t : f.lora.targets) out << t;
    out << YAML::EndSeq;
  }
  out << YAML::Key << "train_embeddings" << YAML::Value << f.lora.train_embeddings;
  out << YAML::EndMap << YAML::EndMap;
}

void emit_model(YAML::Emitter& out, const ModelSpec& m, const FinetuneSpec& workload_ft) {
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << m.name;
  out << YAML::Key << "arch" << YAML::Value << arch_name(m.arch);
  if (!m.config.entries().empty()) {
    out << YAML::Key << "config" << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (const auto& [k, v] : m.config.entries()) {
      out << YAML::Key << k << YAML::Value;
      emit_value(out, v);
    }
    out << YAML::EndMap;
  }
  if (!m.path.empty()) out << YAML::Key << "path" << YAML::Value << m.path;
  if (!m.from.empty()) out << YAML::Key << "from" << YAML::Value << m.from;
  if (!m.grid.axes.empty()) {
    out << YAML::Key << "grid" << YAML::Value;
    emit_grid(out, m.grid);
  }
  if (m.data) {
    out << YAML::Key << "data" << YAML::Value;
    emit_data(out, *m.data);
  }
  if (m.finetune != with_default_targets(workload_ft, m.arch)) {
    out << YAML::Key << "finetune" << YAML::Value;
    emit_finetune(out, m.finetune);
  }
  out << YAML::EndMap;
}

void emit_train(YAML::Emitter& out, const TrainSpec& t) {
  out << YAML::BeginMap;
  if (t.steps) out << YAML::Key << "steps" << YAML::Value << t.steps;
  else out << YAML::Key << "epochs" << YAML::Value << format_number(t.epochs);
  out << YAML::Key << "optimizer" << YAML::Value << optimizer_name(t.optimizer);
  out << YAML::Key << "schedule" << YAML::Value << schedule_name(t.schedule);
  out << YAML::Key << "grad_clip" << YAML::Value << format_number(t.grad_clip);
  out << YAML::Key << "log_every" << YAML::Value << t.log_every;
  out << YAML::Key << "eval_every" << YAML::Value << t.eval_every;
  out << YAML::Key << "eval_batches" << YAML::Value << t.eval_batches;
  if (t.checkpoint_seconds > 0) out << YAML::Key << "checkpoint_every" << YAML::Value << format_duration(t.checkpoint_seconds);
  else out << YAML::Key << "checkpoint_every" << YAML::Value << t.checkpoint_every;
  out << YAML::Key << "stall_factor" << YAML::Value << format_number(t.stall_factor);
  out << YAML::Key << "stall_floor" << YAML::Value << format_duration(t.stall_floor);
  out << YAML::Key << "precision" << YAML::Value << precision_name(t.precision);
  out << YAML::EndMap;
}

}  // namespace

std::string to_yaml(const Workload& w) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << w.name;
  out << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
  if (const auto& t = w.cluster.slurm) {  // the template, not the nodes it resolved into
    out << YAML::Key << "slurm" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "nodes" << YAML::Value << t->replicas;
    out << YAML::Key << "devices" << YAML::Value;
    emit_devices(out, *t);
    out << YAML::EndMap;
  } else {
    out << YAML::Key << "nodes" << YAML::Value << YAML::BeginSeq;
    for (const auto& n : w.cluster.nodes) emit_node(out, n);
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;

  bool all_own_data = true;
  for (const auto& m : w.models) all_own_data = all_own_data && m.data.has_value();
  if (!all_own_data) {
    out << YAML::Key << "data" << YAML::Value;
    emit_data(out, w.data);
  }
  out << YAML::Key << "models" << YAML::Value << YAML::BeginSeq;
  for (const auto& m : w.models) emit_model(out, m, w.finetune);
  out << YAML::EndSeq;
  if (w.finetune != FinetuneSpec{}) {
    out << YAML::Key << "finetune" << YAML::Value;
    emit_finetune(out, w.finetune);
  }
  if (!w.grid.axes.empty() || w.random.trials > 0 || w.early_stopping.on()) {
    out << YAML::Key << "search" << YAML::Value << YAML::BeginMap;
    if (!w.grid.axes.empty()) {
      out << YAML::Key << "grid" << YAML::Value;
      emit_grid(out, w.grid);
    }
    if (w.random.trials > 0) {
      out << YAML::Key << "random" << YAML::Value;
      emit_random(out, w.random);
    }
    if (w.early_stopping.on()) {
      out << YAML::Key << "early_stopping" << YAML::Value;
      emit_early_stopping(out, w.early_stopping);
    }
    out << YAML::EndMap;
  }
  out << YAML::Key << "train" << YAML::Value;
  emit_train(out, w.train);
  if (!w.train.eval.empty()) {
    out << YAML::Key << "eval" << YAML::Value << YAML::BeginSeq;
    for (const auto& t : w.train.eval) {
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << t.name;
      out << YAML::Key << "data" << YAML::Value << t.data;
      out << YAML::Key << "format" << YAML::Value << t.reader;
      out << YAML::Key << "kind" << YAML::Value << eval_kind_name(t.kind);
      out << YAML::Key << "metric" << YAML::Value << t.metric;
      if (!t.normalize.empty()) {
        out << YAML::Key << "normalize" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const auto& n : t.normalize) out << n;
        out << YAML::EndSeq;
      }
      if (t.kind == EvalKind::Generate) out << YAML::Key << "max_new_tokens" << YAML::Value << t.max_new_tokens;
      if (t.limit > 0) out << YAML::Key << "limit" << YAML::Value << t.limit;
      if (t.every > 0) out << YAML::Key << "every" << YAML::Value << t.every;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (!(w.select == Selection{})) {
    out << YAML::Key << "select" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "metric" << YAML::Value << w.select.metric;
    out << YAML::Key << "mode" << YAML::Value << (w.select.maximize ? "max" : "min");
    out << YAML::EndMap;
  }
  out << YAML::Key << "techniques" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (auto t : w.techniques) out << technique_name(t);
  out << YAML::EndSeq;
  out << YAML::Key << "planner" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "time_limit" << YAML::Value << format_duration(w.planner.time_limit);
  if (w.planner.work_limit > 0) out << YAML::Key << "work_limit" << YAML::Value << w.planner.work_limit;
  out << YAML::Key << "threads" << YAML::Value << w.planner.threads;
  out << YAML::Key << "introspection" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "interval" << YAML::Value << format_duration(w.planner.introspection_interval);
  out << YAML::Key << "threshold" << YAML::Value << format_duration(w.planner.introspection_threshold);
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "profile" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "mode" << YAML::Value << profile_mode_name(w.profile.mode);
  out << YAML::Key << "budget" << YAML::Value
      << (w.profile.budget_seconds > 0 ? format_duration(w.profile.budget_seconds)
                                       : format_number(w.profile.budget_share * 100) + "%");
  out << YAML::Key << "margin" << YAML::Value << format_number(w.profile.margin * 100) + "%";
  out << YAML::EndMap;
  out << YAML::EndMap;
  if (!out.good()) throw internal_error("cannot write workload " + quoted(w.name) + " as YAML: " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

}  // namespace saturn
