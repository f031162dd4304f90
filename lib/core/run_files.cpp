#include "core/run_files.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace saturn::run_files {
namespace fs = std::filesystem;

std::string state_path(const std::string& run_dir) { return (std::filesystem::path(run_dir) / "state.db").string(); }
std::string plan_path(const std::string& run_dir) { return (std::filesystem::path(run_dir) / "plan.json").string(); }

std::string job_dir(const std::string& run_dir, const std::string& job) { return run_dir + "/jobs/" + job; }

std::string log_path(const std::string& run_dir, const std::string& job) {
  std::string name = job;
  std::replace(name.begin(), name.end(), '/', '_');
  return run_dir + "/logs/" + name + ".log";
}

std::string metrics_path(const std::string& job_dir) { return job_dir + "/metrics.jsonl"; }
std::string result_path(const std::string& job_dir) { return job_dir + "/result.json"; }
std::string checkpoint_dir(const std::string& job_dir) { return job_dir + "/ckpt"; }
std::string trial_dir(const std::string& run_dir) { return run_dir + "/trial"; }
std::string trial_setting_dir(const std::string& run_dir, size_t i) {
  return i == 0 ? run_dir : run_dir + "/also-" + std::to_string(i);
}
std::string trial_rank_path(const std::string& run_dir, int rank) {
  return trial_dir(run_dir) + "/rank-" + std::to_string(rank) + ".json";
}

std::string checkpoint_stem(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step-%010lld", static_cast<long long>(step));
  return buf;
}

std::optional<int64_t> checkpoint_step(const std::string& name) {
  if (name.size() != 20 || name.rfind("step-", 0) != 0 || name.substr(15) != ".json") return std::nullopt;
  const std::string digits = name.substr(5, 10);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoll(digits);
}

std::vector<int64_t> checkpoint_steps(const std::string& ckpt_dir) {
  std::vector<int64_t> steps;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(ckpt_dir, ec))
    if (auto s = checkpoint_step(e.path().filename().string())) steps.push_back(*s);
  std::sort(steps.rbegin(), steps.rend());
  return steps;
}

int64_t newest_checkpoint(const std::string& job_dir) {
  const auto steps = checkpoint_steps(checkpoint_dir(job_dir));
  return steps.empty() ? 0 : steps.front();
}

namespace {

// The JSON object in `path`; nullopt when there is no such file.
std::optional<nlohmann::json> read_object(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw Error(ErrorKind::Data, path + ": not a JSON object");
  return j;
}

[[noreturn]] void malformed(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::Data, where + ": " + what);
}

double number(const nlohmann::json& j, const char* key, const std::string& where, std::optional<double> dflt = {}) {
  if (!j.contains(key)) {
    if (dflt) return *dflt;
    malformed(where, std::string("no \"") + key + "\"");
  }
  if (j[key].is_null()) return NAN;  // a NaN loss is written as null
  if (!j[key].is_number()) malformed(where, std::string("\"") + key + "\": expected a number, got " + j[key].dump());
  return j[key].get<double>();
}

int64_t integer(const nlohmann::json& j, const char* key, const std::string& where, std::optional<int64_t> dflt = {}) {
  if (!j.contains(key)) {
    if (dflt) return *dflt;
    malformed(where, std::string("no \"") + key + "\"");
  }
  if (!j[key].is_number_integer())
    malformed(where, std::string("\"") + key + "\": expected an integer, got " + j[key].dump());
  return j[key].get<int64_t>();
}

}  // namespace

nlohmann::json to_json(const Result& r) {
  nlohmann::json j{{"job", r.job},
                   {"steps", r.steps},
                   {"final_loss", r.final_loss},
                   {"train_s", r.wall_s},
                   {"eval_loss", r.eval_loss ? nlohmann::json(*r.eval_loss) : nlohmann::json(nullptr)}};
  if (r.fused > 0) j["fused"] = r.fused;
  if (r.tokens > 0) j["tokens"] = r.tokens;
  return j;
}

Result result_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) malformed(where, "not a JSON object");
  Result r;
  r.job = j.contains("job") && j["job"].is_string() ? j["job"].get<std::string>() : "";
  r.steps = integer(j, "steps", where);
  r.final_loss = number(j, "final_loss", where);
  if (j.contains("eval_loss") && !j["eval_loss"].is_null()) r.eval_loss = number(j, "eval_loss", where);
  // train_s: the last attempt's training loop (a file written before it was named so: wall_s)
  r.wall_s = number(j, j.contains("train_s") ? "train_s" : "wall_s", where, 0.0);
  r.fused = integer(j, "fused", where, 0);
  r.tokens = integer(j, "tokens", where, 0);
  return r;
}

std::optional<Result> read_result(const std::string& job_dir) {
  const std::string path = result_path(job_dir);
  auto j = read_object(path);
  if (!j) return std::nullopt;
  return result_from_json(*j, path);
}

std::optional<nlohmann::json> checkpoint_meta(const std::string& job_dir, int64_t step) {
  const std::string path = checkpoint_dir(job_dir) + "/" + checkpoint_stem(step) + ".json";
  std::optional<nlohmann::json> j;
  try {
    j = read_object(path);
  } catch (const Error&) {
    return std::nullopt;  // being written, or damaged: as if absent
  }
  if (!j || !j->contains("meta") || !(*j)["meta"].is_object()) return std::nullopt;
  return (*j)["meta"];
}

std::string diverged_path(const std::string& job_dir) { return job_dir + "/diverged.json"; }

std::optional<int64_t> read_diverged(const std::string& job_dir) {
  std::optional<nlohmann::json> j;
  try {
    j = read_object(diverged_path(job_dir));
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!j || !j->contains("step") || !(*j)["step"].is_number_integer()) return std::nullopt;
  return (*j)["step"].get<int64_t>();
}

std::string infeasible_path(const std::string& job_dir) { return job_dir + "/infeasible.json"; }

std::optional<std::string> read_infeasible(const std::string& job_dir) {
  std::optional<nlohmann::json> j;
  try {
    j = read_object(infeasible_path(job_dir));
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!j || !j->contains("reason") || !(*j)["reason"].is_string()) return std::nullopt;
  return (*j)["reason"].get<std::string>();
}

std::string heartbeat_path(const std::string& job_dir) { return job_dir + "/heartbeat.json"; }

nlohmann::json to_json(const Heartbeat& h) { return {{"step", h.step}, {"phase", h.phase}, {"beat", h.beat}}; }

std::optional<Heartbeat> read_heartbeat(const std::string& job_dir) {
  std::optional<nlohmann::json> j;
  try {
    j = read_object(heartbeat_path(job_dir));
  } catch (const Error&) {
    return std::nullopt;  // replaced while read: the next read sees it whole
  }
  if (!j || !j->contains("step") || !(*j)["step"].is_number_integer() || !j->contains("beat") ||
      !(*j)["beat"].is_number_integer())
    return std::nullopt;
  Heartbeat h;
  h.step = (*j)["step"].get<int64_t>();
  h.phase = j->value("phase", "");
  h.beat = (*j)["beat"].get<int64_t>();
  return h;
}

nlohmann::json to_json(const Trial& t) {
  if (!t.feasible) return {{"feasible", false}, {"reason", t.reason}};
  return {{"feasible", true},          {"step_time", t.step_time},     {"spread", t.spread},
          {"timed_steps", t.timed_steps}, {"peak_memory", t.peak_memory}, {"startup_s", t.startup_s},
          {"steps", t.steps},          {"final_loss", t.final_loss}};
}

std::optional<Trial> read_trial(const std::string& run_dir, int rank) {
  const std::string path = trial_rank_path(run_dir, rank);
  auto j = read_object(path);
  if (!j) return std::nullopt;
  Trial t;
  if (j->contains("feasible") && !(*j)["feasible"].is_boolean()) malformed(path, "\"feasible\": expected true or false");
  t.feasible = j->value("feasible", true);
  if (!t.feasible) {
    t.reason = j->contains("reason") && (*j)["reason"].is_string() ? (*j)["reason"].get<std::string>() : "infeasible";
    return t;
  }
  t.step_time = number(*j, "step_time", path);
  t.spread = number(*j, "spread", path, 0.0);
  t.timed_steps = integer(*j, "timed_steps", path, 0);
  t.peak_memory = integer(*j, "peak_memory", path, 0);
  t.startup_s = number(*j, "startup_s", path, 0.0);
  t.steps = integer(*j, "steps", path, 0);
  t.final_loss = number(*j, "final_loss", path, 0.0);
  return t;
}

std::optional<MetricsLine> parse_metrics_line(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("step") || !j.contains("time") || !j.contains("loss")) return std::nullopt;
  if (!j["step"].is_number_integer() || !j["time"].is_number() || !(j["loss"].is_number() || j["loss"].is_null()))
    return std::nullopt;
  MetricsLine m;
  m.step = j["step"].get<int64_t>();
  m.time = j["time"].get<double>();
  m.loss = j["loss"].is_null() ? NAN : j["loss"].get<double>();
  return m;
}

}  // namespace saturn::run_files
