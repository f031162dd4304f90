#include "train/generate/generate.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

#include "core/error.h"
#include "train/models/decode.h"

namespace saturn::train {
namespace {

// The model's parts in order, each as it decodes.
struct Parts {
  EmbedsAt* embed_at = nullptr;   // the first part, when it reads positions
  std::vector<Decodes*> blocks;   // the parts between the first and the last
};

Parts parts_of(BlockModel& model) {
  if (model->size() < 3) throw data_error("the model has no blocks to generate with (an embedding, blocks, a head)");
  Parts p;
  p.embed_at = dynamic_cast<EmbedsAt*>(model->block(0).ptr().get());
  for (size_t i = 1; i + 1 < model->size(); ++i) {
    auto* d = dynamic_cast<Decodes*>(model->block(i).ptr().get());
    if (!d) throw data_error("block " + std::to_string(i) + " (" + model->block_name(i) + ") cannot decode: generation "
                             "needs a gpt or llama model");
    p.blocks.push_back(d);
  }
  return p;
}

// Logits [b, t, vocab] of new ids [b, t] at `positions`, attending `attend`
// [b, 1, t, T], the caches holding the T - t earlier tokens' keys and values.
torch::Tensor step(BlockModel& model, const Parts& p, std::vector<KvCache>& caches, const torch::Tensor& ids,
                   const torch::Tensor& positions, const torch::Tensor& attend) {
  torch::Tensor x = p.embed_at ? p.embed_at->embed_at(ids, positions) : model->block(0).forward(ids);
  const DecodeInput in{positions, attend};
  for (size_t i = 0; i < p.blocks.size(); ++i) x = p.blocks[i]->decode(x, in, caches[i]);
  return model->block(model->size() - 1).forward(x);
}

// The next id of each row from its last logits [b, vocab].
torch::Tensor choose(const torch::Tensor& logits, const GenerateOptions& o, at::Generator& gen) {
  if (o.temperature <= 0) return logits.argmax(-1);
  auto scaled = (logits.to(torch::kFloat) / o.temperature).to(torch::kCPU);
  if (o.top_p < 1) {
    // transformers' TopPLogitsWarper: drop the least likely ids whose total is at most 1 - top_p, keep one.
    auto [sorted, order] = scaled.sort(-1, /*descending=*/false);
    auto cumulative = sorted.softmax(-1).cumsum(-1);
    auto drop = cumulative <= (1 - o.top_p);
    drop.select(-1, drop.size(-1) - 1).fill_(false);
    scaled = scaled.scatter(-1, order, sorted.masked_fill(drop, -INFINITY));
  }
  return torch::multinomial(scaled.softmax(-1), 1, false, gen).squeeze(-1).to(logits.device());
}

}  // namespace

std::vector<std::vector<int64_t>> generate(BlockModel& model, const std::vector<std::vector<int64_t>>& prompts,
                                           const GenerateOptions& o, const std::function<void(size_t, int64_t)>& on_token) {
  const int64_t b = static_cast<int64_t>(prompts.size());
  std::vector<std::vector<int64_t>> out(prompts.size());
  if (b == 0) return out;
  int64_t longest = 0;
  for (const auto& p : prompts) {
    if (p.empty()) throw usage_error("a prompt of no tokens: nothing to continue");
    longest = std::max<int64_t>(longest, static_cast<int64_t>(p.size()));
  }
  int64_t budget = o.max_new_tokens;
  if (o.max_positions > 0) budget = std::min(budget, o.max_positions - longest);
  if (budget <= 0) return out;

  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  const Parts parts = parts_of(model);
  const auto params = model->parameters();
  const torch::Device device = params.empty() ? torch::Device(torch::kCPU) : params.front().device();
  const auto on = torch::TensorOptions().device(device);

  // The prompts, left-padded, and which positions hold a real token.
  auto ids = torch::full({b, longest}, o.pad, torch::kLong);
  auto real = torch::zeros({b, longest}, torch::kBool);
  for (int64_t r = 0; r < b; ++r) {
    const auto& p = prompts[static_cast<size_t>(r)];
    const int64_t n = static_cast<int64_t>(p.size());
    ids[r].slice(0, longest - n).copy_(torch::tensor(p, torch::kLong));
    real[r].slice(0, longest - n).fill_(true);
  }
  ids = ids.to(device);
  real = real.to(device);
  auto positions = (real.to(torch::kLong).cumsum(-1) - 1).masked_fill(real.logical_not(), 1);

  at::Generator gen = at::detail::createCPUGenerator(o.seed);
  std::vector<KvCache> caches(parts.blocks.size());
  auto finished = torch::zeros({b}, torch::kBool);  // rows past their stop id: they take the pad id
  auto seq = ids;         // every id so far (for the uncached path)
  auto seq_pos = positions;
  // Causal over real keys; a token always attends itself, so no row is empty.
  auto causal_mask = [&](const torch::Tensor& keys_real, int64_t t, int64_t total) {
    auto causal = torch::ones({t, total}, on.dtype(torch::kBool)).tril(total - t);
    auto eye = torch::zeros({t, total}, on.dtype(torch::kBool));
    eye.slice(1, total - t).fill_diagonal_(true);
    return (causal.unsqueeze(0) & keys_real.unsqueeze(1)) | eye.unsqueeze(0);  // [b, t, total]
  };
  torch::Tensor next_ids, next_pos;
  for (int64_t s = 0; s < budget; ++s) {
    torch::Tensor logits;
    if (s == 0 || !o.cache) {
      for (auto& c : caches) c = KvCache{};
      const int64_t total = seq.size(1);
      logits = step(model, parts, caches, seq, seq_pos, causal_mask(real, total, total).unsqueeze(1));
    } else {
      const int64_t total = real.size(1);
      logits = step(model, parts, caches, next_ids, next_pos, causal_mask(real, 1, total).unsqueeze(1));
    }
    auto chosen = choose(logits.select(1, logits.size(1) - 1), o, gen);
    chosen = torch::where(finished.to(device), torch::full_like(chosen, o.pad), chosen);
    const auto picked = chosen.to(torch::kCPU);
    bool all_done = true;
    for (int64_t r = 0; r < b; ++r) {
      if (finished[r].item<bool>()) continue;
      const int64_t id = picked[r].item<int64_t>();
      out[static_cast<size_t>(r)].push_back(id);
      if (on_token) on_token(static_cast<size_t>(r), id);
      if (std::find(o.stop.begin(), o.stop.end(), id) != o.stop.end()) finished[r] = true;
      all_done = all_done && finished[r].item<bool>();
    }
    if (all_done) break;
    next_ids = chosen.unsqueeze(1);
    next_pos = seq_pos.select(1, seq_pos.size(1) - 1).unsqueeze(1) + 1;
    seq = torch::cat({seq, next_ids}, 1);
    seq_pos = torch::cat({seq_pos, next_pos}, 1);
    real = torch::cat({real, torch::ones({b, 1}, on.dtype(torch::kBool))}, 1);
  }
  if (was_training) model->train();
  return out;
}

}  // namespace saturn::train
