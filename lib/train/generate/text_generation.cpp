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
#include "train/generate/model_source.h"
#include "train/trained_model.h"

namespace saturn::train {
namespace fs = std::filesystem;
using json = nlohmann::json;
namespace {

// An id or a list of ids in generation_config.json.
void add_ids(const json& v, std::vector<int64_t>& out) {
  if (v.is_number_integer()) out.push_back(v.get<int64_t>());
  else if (v.is_array())
    for (const auto& x : v)
      if (x.is_number_integer()) out.push_back(x.get<int64_t>());
}

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
  const std::string config = tok::read_optional((dir / "tokenizer_config.json").string(), "tokenizer_config.json");
  if (auto eot = tokenizer_->end_of_text()) stop_.push_back(*eot);
  json gen = json::object();
  const fs::path gen_path = fs::path(model_.generation_dir.empty() ? model_.tokenizer_dir : model_.generation_dir) /
                            "generation_config.json";
  if (fs::is_regular_file(gen_path)) gen = json::parse(tok::read_all(gen_path.string(), "generation_config.json"), nullptr, false);
  if (gen.is_object() && gen.contains("eos_token_id")) add_ids(gen["eos_token_id"], stop_);
  if (chat) {
    const std::string jinja = tok::read_optional((dir / "chat_template.jinja").string(), "chat_template.jinja");
    auto src = tok::folder_template(dir.string(), config, jinja);
    if (!src)
      throw data_error(model_.tokenizer_dir + ": --chat needs a chat template (tokenizer_config.json chat_template, or "
                       "chat_template.jinja), and the folder has none");
    chat_ = std::make_unique<tok::ChatTemplate>(*src, tok::chat_tokens(config, *tokenizer_), std::time(nullptr));
    if (const std::string m = chat_->end_of_turn(); !m.empty())
      if (auto id = tokenizer_->token_id(m)) stop_.push_back(*id);
  }
  std::sort(stop_.begin(), stop_.end());
  stop_.erase(std::unique(stop_.begin(), stop_.end()), stop_.end());
  // The pad id: the tokenizer's pad_token, generation_config's pad_token_id, else a stop id.
  const json c = json::parse(config.empty() ? "{}" : config, nullptr, false);
  std::optional<uint32_t> pad;
  if (c.is_object() && c.contains("pad_token")) {
    const json& p = c["pad_token"];
    if (p.is_string()) pad = tokenizer_->token_id(p.get<std::string>());
    else if (p.is_object() && p.contains("content") && p["content"].is_string()) pad = tokenizer_->token_id(p["content"].get<std::string>());
  }
  if (pad) pad_ = *pad;
  else if (gen.is_object() && gen.contains("pad_token_id") && gen["pad_token_id"].is_number_integer()) pad_ = gen["pad_token_id"].get<int64_t>();
  else if (!stop_.empty()) pad_ = stop_.front();
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
