#include "job_json.h"

namespace saturn {

nlohmann::json value_json(const Value& v) {
  if (auto i = std::get_if<int64_t>(&v)) return *i;
  if (auto d = std::get_if<double>(&v)) return *d;
  return std::get<bool>(v);
}

static nlohmann::json config_json(const Config& c) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : c.entries()) j[k] = value_json(v);
  return j;
}

static nlohmann::json finetune_json(const FinetuneSpec& f) {
  nlohmann::json j = {{"method", finetune_method_name(f.method)}};
  if (f.lora_on())
    j["lora"] = {{"rank", f.lora.rank},
                 {"alpha", f.lora.alpha},
                 {"dropout", f.lora.dropout},
                 {"targets", f.lora.targets},
                 {"train_embeddings", f.lora.train_embeddings}};
  return j;
}

nlohmann::json job_json(const Workload& w, const JobSet& set, const Job& job) {
  const ModelSpec& m = w.models[job.model];
  nlohmann::json hp = nlohmann::json::object();
  for (const auto& k : hyperparam_keys()) hp[k.key] = value_json(get_hyperparam(job.hp, k.key));
  nlohmann::json point = nlohmann::json::object();
  for (const auto& [k, v] : job.point) point[k] = value_json(v);
  return {{"id", job.id},
          {"hash", job.hash},
          {"model", m.name},
          {"arch", arch_name(m.arch)},
          {"shape", set.shapes[job.shape].id},
          {"shape_hash", set.shapes[job.shape].hash},
          {"point", point},
          {"hyperparams", hp},
          {"config", config_json(job.config)},
          {"finetune", finetune_json(job.finetune)}};
}

nlohmann::json shape_json(const Workload& w, const JobSet& set, const JobShape& shape) {
  nlohmann::json jobs = nlohmann::json::array();
  for (size_t i : shape.jobs) jobs.push_back(set.jobs[i].id);
  return {{"id", shape.id},
          {"hash", shape.hash},
          {"arch", arch_name(shape.arch)},
          {"batch_size", shape.batch_size},
          {"config", config_json(shape.config)},
          {"finetune", finetune_json(shape.finetune)},
          {"jobs", jobs}};
}

nlohmann::json jobs_json(const Workload& w, const JobSet& set) {
  nlohmann::json jobs = nlohmann::json::array(), shapes = nlohmann::json::array();
  for (const auto& j : set.jobs) jobs.push_back(job_json(w, set, j));
  for (const auto& s : set.shapes) shapes.push_back(shape_json(w, set, s));
  return {{"workload", w.name}, {"jobs", jobs}, {"shapes", shapes}};
}

}  // namespace saturn
