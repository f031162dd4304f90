#include "train/eval/task_eval.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <filesystem>

#include "core/error.h"
#include "tokenize/chat_template.h"
#include "tokenize/eval_records.h"
#include "tokenize/tokenizer.h"
#include "train/generate/generate.h"
#include "train/generate/stop_ids.h"

namespace saturn::train {
namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;
namespace {

constexpr int64_t kBatch = 16;  // generate tasks: prompts per batch

bool due_for(const EvalTask& t, const TrainSpec& s, int64_t step, int64_t total, int64_t pause) {
  const int64_t every = t.every > 0 ? t.every : s.eval_every;
  return (every > 0 && step % every == 0) || step == total || step == pause;
}

std::vector<int64_t> ids_of(const tok::Tokenizer& t, const std::string& text) {
  std::vector<int64_t> out;
  for (uint32_t id : t.encode(text)) out.push_back(id);
  return out;
}

}  // namespace

bool task_eval_due(const TrainSpec& t, int64_t step, int64_t total, int64_t pause) {
  return std::any_of(t.eval.begin(), t.eval.end(), [&](const EvalTask& e) { return due_for(e, t, step, total, pause); });
}

TaskEvaluator::TaskEvaluator(const TrainJob& job) : train_(job.train) {
  if (job.data.tokenizer.empty())
    throw data_error("eval: tasks need a tokenizer: data.tokenizer, or a model folder (from) with tokenizer.json");
  const std::string tokenizer = job.resolve(job.data.tokenizer);
  const std::string dir = fs::path(tokenizer).parent_path().string();
  tokenizer_ = std::make_unique<tok::Tokenizer>(tok::Tokenizer::load(tokenizer));
  // Prompts are rendered as the job's chats are: records under a template.
  if (job.data.train.format == DataFormat::Jsonl) {
    const std::string& name = job.data.train.jsonl.chat_template;
    const bool templated = name.empty() || name == "chatml" || name == "llama3" ||
                           (name.size() > 6 && name.compare(name.size() - 6, 6, ".jinja") == 0);
    if (templated) chat_ = tok::load_chat_template(dir, name, *tokenizer_, static_cast<std::time_t>(job.data.chat_time ? job.data.chat_time : std::time(nullptr)));
  }
  const StopIds s = stop_ids(dir, job.from_dir, *tokenizer_, chat_.get());
  stop_ = s.stop;
  pad_ = s.pad;
  if (job.arch == Arch::Gpt)
    max_positions_ = job.config.integer("positions") > 0 ? job.config.integer("positions") : job.config.integer("seq_len");
  for (const EvalTask& t : train_.eval) {
    std::vector<tok::EvalRecord> rs = tok::read_eval_records(t);
    if (chat_)
      for (auto& r : rs) {
        try {
          r.prompt = chat_->render(ojson::array({{{"role", "user"}, {"content", r.prompt}}}), nullptr, true).text;
        } catch (const std::runtime_error& e) {
          throw data_error(r.where + ": the chat template refuses the prompt: " + e.what());
        }
      }
    records_.push_back(std::move(rs));
  }
}

TaskEvaluator::~TaskEvaluator() = default;

nlohmann::json TaskEvaluator::run(BlockModel& model, int64_t step, int64_t total, int64_t pause) {
  nlohmann::json out = nlohmann::json::object();
  torch::NoGradGuard g;
  const bool was_training = model->is_training();
  model->eval();
  for (size_t i = 0; i < train_.eval.size(); ++i) {
    const EvalTask& t = train_.eval[i];
    if (!due_for(t, train_, step, total, pause)) continue;
    out[t.metric_key()] =
        t.kind == EvalKind::Generate ? score_generate(model, t, records_[i]) : score_choice(model, t, records_[i]);
  }
  if (was_training) model->train();
  return out;
}

double TaskEvaluator::score_generate(BlockModel& model, const EvalTask& t, const std::vector<tok::EvalRecord>& rs) {
  GenerateOptions o;
  o.max_new_tokens = t.max_new_tokens;
  o.stop = stop_;
  o.pad = pad_;
  o.max_positions = max_positions_;
  int64_t right = 0;
  for (size_t from = 0; from < rs.size(); from += kBatch) {
    std::vector<std::vector<int64_t>> prompts;
    for (size_t k = from; k < std::min(rs.size(), from + kBatch); ++k) prompts.push_back(ids_of(*tokenizer_, rs[k].prompt));
    const auto made = generate(model, prompts, o);
    for (size_t k = 0; k < made.size(); ++k) {
      std::vector<uint32_t> ids(made[k].begin(), made[k].end());
      if (!ids.empty() && std::binary_search(stop_.begin(), stop_.end(), static_cast<int64_t>(ids.back()))) ids.pop_back();
      right += answer_matches(t, tokenizer_->decode(ids), rs[from + k].answer) ? 1 : 0;
    }
  }
  return static_cast<double>(right) / static_cast<double>(rs.size());
}

std::vector<std::vector<double>> TaskEvaluator::loglikelihoods(BlockModel& model, size_t task) {
  torch::NoGradGuard g;
  const bool was_training = model->is_training();
  model->eval();
  const EvalTask& t = train_.eval.at(task);
  const auto params = model->parameters();
  const torch::Device device = params.empty() ? torch::Device(torch::kCPU) : params.front().device();
  const std::string delimiter = chat_ ? "" : " ";
  std::vector<std::vector<double>> out;
  for (const tok::EvalRecord& r : records_.at(task)) {
    // lm-evaluation-harness: whitespace ending the context moves to the continuation.
    std::string context = r.prompt, moved;
    while (!context.empty() && std::isspace(static_cast<unsigned char>(context.back())))
      moved.insert(moved.begin(), context.back()), context.pop_back();
    const int64_t n_ctx = static_cast<int64_t>(ids_of(*tokenizer_, context).size());
    std::vector<std::vector<int64_t>> whole;
    int64_t longest = 0;
    for (const auto& c : r.choices) {
      whole.push_back(ids_of(*tokenizer_, context + moved + delimiter + c));
      longest = std::max<int64_t>(longest, static_cast<int64_t>(whole.back().size()));
    }
    if (max_positions_ > 0 && longest > max_positions_)
      throw data_error("eval task " + t.name + ": a prompt and choice of " + std::to_string(longest) +
                       " tokens, more than the model's " + std::to_string(max_positions_) + " positions");
    auto ids = torch::full({static_cast<int64_t>(whole.size()), longest}, pad_, torch::kLong);
    for (size_t k = 0; k < whole.size(); ++k)
      ids[static_cast<int64_t>(k)].slice(0, 0, static_cast<int64_t>(whole[k].size())).copy_(torch::tensor(whole[k], torch::kLong));
    const auto logp_t = torch::log_softmax(model->forward(ids.to(device)).to(torch::kFloat), -1).cpu().contiguous();
    const auto logp = logp_t.accessor<float, 3>();
    std::vector<double> lls;
    for (size_t k = 0; k < whole.size(); ++k) {
      double ll = 0;
      const int64_t n = static_cast<int64_t>(whole[k].size());
      for (int64_t p = std::max<int64_t>(n_ctx, 1); p < n; ++p)
        ll += logp[static_cast<int64_t>(k)][p - 1][whole[k][static_cast<size_t>(p)]];
      lls.push_back(ll);
    }
    out.push_back(std::move(lls));
  }
  if (was_training) model->train();
  return out;
}

double TaskEvaluator::score_choice(BlockModel& model, const EvalTask& t, const std::vector<tok::EvalRecord>& rs) {
  const size_t task = static_cast<size_t>(&t - train_.eval.data());
  const auto lls = loglikelihoods(model, task);
  int64_t right = 0;
  for (size_t i = 0; i < rs.size(); ++i) {
    int64_t pick = 0, pick_norm = 0;
    for (size_t k = 1; k < lls[i].size(); ++k) {
      if (lls[i][k] > lls[i][static_cast<size_t>(pick)]) pick = static_cast<int64_t>(k);
      const auto bytes = [&](size_t c) { return static_cast<double>(std::max<size_t>(1, rs[i].choices[c].size())); };
      if (lls[i][k] / bytes(k) > lls[i][static_cast<size_t>(pick_norm)] / bytes(static_cast<size_t>(pick_norm)))
        pick_norm = static_cast<int64_t>(k);
    }
    right += (t.metric == "accuracy_norm" ? pick_norm : pick) == rs[i].right ? 1 : 0;
  }
  return static_cast<double>(right) / static_cast<double>(rs.size());
}

}  // namespace saturn::train
