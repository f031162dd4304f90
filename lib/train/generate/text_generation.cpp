#include "train/generate/text_generation.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/error.h"
#include "tokenize/cache_files.h"
#include "tokenize/chat_template.h"
#include "tokenize/examples.h"
#include "tokenize/tokenizer.h"
#include "train/generate/generate.h"
#include "train/generate/stop_ids.h"
#include "train/generate/model_source.h"
#include "train/trained_model.h"

namespace saturn::train {
namespace fs = std::filesystem;
namespace {

// A model with its tokenizer, stop ids, pad id and (for chats) template.
class TextGenerator {
 public:
  TextGenerator(LoadedModel model, const TextRequest& opts);
  std::vector<Continuation> run(const std::vector<std::string>& prompts, GenerateOptions o,
                                const std::function<void(size_t, const std::string&)>& on_bytes);

 private:
  LoadedModel model_;
  std::unique_ptr<tok::Tokenizer> tokenizer_;
  std::unique_ptr<tok::ChatTemplate> chat_;
  std::vector<int64_t> stop_;
  int64_t pad_ = 0;
};

TextGenerator::TextGenerator(LoadedModel model, const TextRequest& opts) : model_(std::move(model)) {
  const bool chat = opts.chat;
  if (opts.threads > 0) torch::set_num_threads(opts.threads);
  if (opts.device != "cpu") {
    std::optional<torch::Device> d;
    try {
      if (opts.device.rfind("cuda", 0) == 0) d = torch::Device(opts.device);
    } catch (const c10::Error&) {
    }
    if (!d) throw usage_error("--device: expected cpu, cuda or cuda:N, got \"" + opts.device + "\"");
    if (!torch::cuda::is_available()) throw Error(ErrorKind::Unavailable, "--device " + opts.device + ": no CUDA device here");
    model_.model->to(*d);
  }
  if (model_.tokenizer_dir.empty())
    throw no_input_error("the model has no tokenizer (no tokenizer.json beside it): generation needs one");
  const fs::path dir(model_.tokenizer_dir);
  const std::string tokenizer_path = (dir / "tokenizer.json").string();
  if (!fs::is_regular_file(tokenizer_path)) throw no_input_error(tokenizer_path + ": no such file (the model's tokenizer)");
  tokenizer_ = std::make_unique<tok::Tokenizer>(tok::Tokenizer::load(tokenizer_path));
  if (chat) {
    chat_ = tok::load_chat_template(model_.tokenizer_dir, "", *tokenizer_, std::time(nullptr));
    if (!chat_)
      throw data_error(model_.tokenizer_dir + ": --chat needs a chat template (tokenizer_config.json chat_template, or "
                       "chat_template.jinja), and the folder has none");
  }
  const StopIds ids = stop_ids(model_.tokenizer_dir, model_.generation_dir, *tokenizer_, chat_.get());
  stop_ = ids.stop;
  pad_ = ids.pad;
}

std::vector<Continuation> TextGenerator::run(const std::vector<std::string>& prompts, GenerateOptions o,
                                             const std::function<void(size_t, const std::string&)>& on_bytes) {
  std::vector<Continuation> out(prompts.size());
  std::vector<std::vector<int64_t>> ids(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) {
    out[i].prompt = prompts[i];
    std::string text = prompts[i];
    if (chat_) {
      try {
        text = chat_->render(nlohmann::ordered_json::array({{{"role", "user"}, {"content", prompts[i]}}}), nullptr,
                             /*add_generation_prompt=*/true).text;
      } catch (const std::runtime_error& e) {
        throw data_error("prompt " + std::to_string(i + 1) + ": the chat template refuses it: " + e.what());
      }
    }
    for (uint32_t id : tokenizer_->encode(text)) ids[i].push_back(id);
    if (ids[i].empty()) throw usage_error("prompt " + std::to_string(i + 1) + " is empty: nothing to continue");
    out[i].prompt_tokens = static_cast<int64_t>(ids[i].size());
  }
  o.stop = stop_;
  o.pad = pad_;
  if (model_.arch == Arch::Gpt) o.max_positions = model_.config.integer("positions") > 0 ? model_.config.integer("positions")
                                                                                         : model_.config.integer("seq_len");
  std::vector<std::string> shown(prompts.size());
  auto decode = [&](const std::vector<int64_t>& v) {
    std::vector<uint32_t> u(v.begin(), v.end());
    if (!u.empty() && std::binary_search(stop_.begin(), stop_.end(), static_cast<int64_t>(u.back()))) u.pop_back();
    return tokenizer_->decode(u);
  };
  std::vector<std::vector<int64_t>> so_far(prompts.size());
  const auto made = generate(model_.model, ids, o, [&](size_t i, int64_t id) {
    so_far[i].push_back(id);
    if (!on_bytes) return;
    const std::string now = decode(so_far[i]);
    if (now.size() > shown[i].size() && now.compare(0, shown[i].size(), shown[i]) == 0) {
      on_bytes(i, now.substr(shown[i].size()));
      shown[i] = now;
    }
  });
  for (size_t i = 0; i < prompts.size(); ++i) {
    out[i].ids = made[i];
    out[i].text = decode(made[i]);
  }
  return out;
}

}  // namespace

TextResult generate_text(const TextRequest& r, const std::function<void(size_t, const std::string&)>& on_bytes) {
  if (r.prompts.empty()) throw usage_error("no prompts");
  LoadedModel m;
  if (r.job) {
    m.arch = r.job->arch;
    m.config = r.job->config;
    m.model = load_trained(*r.job, &m.step);
    if (!r.job->tokenizer.empty()) m.tokenizer_dir = fs::path(r.job->tokenizer).parent_path().string();
    m.generation_dir = r.job->from_dir;
  } else {
    m = load_model_folder(r.model_dir, r.base_dir);
  }
  TextResult out;
  out.step = m.step;
  TextGenerator gen(std::move(m), r);
  GenerateOptions o;
  o.max_new_tokens = r.max_new_tokens;
  o.temperature = r.temperature;
  o.top_p = r.top_p;
  o.seed = r.seed;
  const auto t0 = std::chrono::steady_clock::now();
  out.rows = gen.run(r.prompts, o, on_bytes);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace saturn::train
