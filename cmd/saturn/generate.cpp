// saturn generate RUN [JOB] | --model DIR: continue prompts with a trained
// job (its newest checkpoint) or a model folder (train/generate/).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/error.h"
#include "trained_job.h"
#include "train/generate/text_generation.h"

namespace saturn::cmd {
namespace {

struct GenerateCommand {
  std::string run, job;            // a run's job (default: the best), or
  std::string model, base;         // a model or adapter folder (and its base)
  std::vector<std::string> prompts;
  std::string prompts_file;
  bool chat = false, json = false;
  int64_t max_new_tokens = 128;
  double temperature = 0, top_p = 1;
  uint64_t seed = 0;
  std::string device = "cpu";
  int threads = 0;
};

// The prompts of a file: one per line (blank lines skipped); a .jsonl file's
// lines are JSON objects whose "prompt" is the text.
std::vector<std::string> read_prompts(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw no_input_error(path + ": cannot read the prompts");
  const bool jsonl = path.size() > 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
  std::vector<std::string> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (!jsonl) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      out.push_back(line);
      continue;
    }
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("prompt") || !j["prompt"].is_string())
      throw data_error(path + ":" + std::to_string(n) + ": expected an object with a \"prompt\" string");
    out.push_back(j["prompt"].get<std::string>());
  }
  if (out.empty()) throw data_error(path + ": no prompts");
  return out;
}

int run_generate(const GenerateCommand& c) {
  if (c.model.empty() == c.run.empty()) throw usage_error("give a run directory (and a job), or --model DIR");
  if (!c.model.empty() && !c.job.empty()) throw usage_error("a job names a run's job; with --model there is none");
  if (!c.base.empty() && c.model.empty()) throw usage_error("--base: applies to an adapter folder given with --model");
  if (c.prompts.empty() == c.prompts_file.empty()) throw usage_error("give --prompt TEXT (one or more) or --prompts FILE");
  if (c.max_new_tokens < 1) throw usage_error("--max-new-tokens: expected 1 or more");
  if (c.temperature < 0) throw usage_error("--temperature: expected 0 (greedy) or more");
  if (!(c.top_p > 0 && c.top_p <= 1)) throw usage_error("--top-p: expected a number in (0, 1]");
  const std::vector<std::string> prompts = c.prompts_file.empty() ? c.prompts : read_prompts(c.prompts_file);

  train::TextRequest r;
  std::string what;
  if (!c.model.empty()) {
    r.model_dir = c.model;
    r.base_dir = c.base;
    what = c.model;
  } else {
    RunJob found = find_run_job(c.run, c.job, "generate");
    r.job = found.job;
    what = found.id;
  }
  r.prompts = prompts;
  r.chat = c.chat;
  r.device = c.device;
  r.threads = c.threads;
  r.max_new_tokens = c.max_new_tokens;
  r.temperature = c.temperature;
  r.top_p = c.top_p;
  r.seed = c.seed;
  // One prompt on a terminal streams as it is generated.
  const bool stream = !c.json && prompts.size() == 1 && ::isatty(STDOUT_FILENO);
  const train::TextResult result = train::generate_text(
      r, stream ? std::function<void(size_t, const std::string&)>(
                      [](size_t, const std::string& bytes) { std::cout << bytes << std::flush; })
                : nullptr);
  const auto& done = result.rows;
  if (r.job) what += " (step " + std::to_string(result.step) + ")";
  const double seconds = result.seconds;
  int64_t made = 0;
  for (const auto& d : done) made += static_cast<int64_t>(d.ids.size());
  for (size_t i = 0; i < done.size(); ++i) {
    const auto& d = done[i];
    if (c.json) {
      nlohmann::json j = {{"prompt", d.prompt}, {"text", d.text}, {"ids", d.ids}, {"prompt_tokens", d.prompt_tokens}};
      std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else if (stream) {
      std::cout << "\n";
    } else if (done.size() == 1) {
      std::cout << d.text << "\n";
    } else {
      std::cout << (i ? "\n" : "") << "> " << d.prompt << "\n" << d.text << "\n";
    }
  }
  char rate[96];
  std::snprintf(rate, sizeof rate, "%lld new tokens in %.3f s (%.1f tokens/s)", static_cast<long long>(made), seconds,
                seconds > 0 ? static_cast<double>(made) / seconds : 0.0);
  std::cerr << "generate: " << what << ", " << done.size() << " prompt" << (done.size() == 1 ? "" : "s") << ", " << rate
            << "\n";
  return 0;
}

}  // namespace

void add_generate(CLI::App& app, Action& action) {
  auto c = std::make_shared<GenerateCommand>();
  auto* sub = app.add_subcommand("generate", "Continue prompts with a trained job or a model folder");
  sub->add_option("run", c->run, "Run directory");
  sub->add_option("job", c->job, "Job id (default: the leaderboard's best)");
  sub->add_option("--model", c->model, "A model folder (an export, a download) or a PEFT adapter folder instead of a run");
  sub->add_option("--base", c->base, "With an adapter folder: its base model's folder (default: its base_model_name_or_path)");
  sub->add_option("--prompt", c->prompts, "A prompt (repeatable: a batch)")->allow_extra_args(false);
  sub->add_option("--prompts", c->prompts_file, "A file of prompts: one per line, or a .jsonl of {\"prompt\": ...}");
  sub->add_flag("--chat", c->chat, "Render each prompt as a user's turn with the model's chat template");
  sub->add_option("--max-new-tokens", c->max_new_tokens, "New tokens at most per prompt (default 128)");
  sub->add_option("--temperature", c->temperature, "0 (the default): greedy; above: sampled");
  sub->add_option("--top-p", c->top_p, "Sampling: the most likely tokens whose probabilities reach P (default 1)");
  sub->add_option("--seed", c->seed, "Sampling's seed (default 0)");
  sub->add_option("--device", c->device, "cpu (the default), cuda or cuda:N");
  sub->add_option("--threads", c->threads, "CPU threads (default: torch's)");
  sub->add_flag("--json", c->json, "One JSON object per prompt: prompt, text, ids, prompt_tokens");
  sub->callback([c, &action] { action = [c] { return run_generate(*c); }; });
}

}  // namespace saturn::cmd
