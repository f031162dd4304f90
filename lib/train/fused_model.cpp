#include "train/fused_model.h"

#include "core/error.h"
#include "train/models/build.h"
#include "train/models/llama.h"
#include "train/models/transformer.h"

namespace saturn::train {
namespace {

// [K, d] -> [K, 1, ..., 1, d] to broadcast over an x of `dims` dimensions.
torch::Tensor per_model(const torch::Tensor& t, int64_t dims) {
  std::vector<int64_t> shape(static_cast<size_t>(dims), 1);
  shape.front() = t.size(0);
  shape.back() = t.size(-1);
  return t.view(shape);
}

}  // namespace

FusedModel::FusedModel(Arch arch, const Config& config, const std::vector<int64_t>& seeds,
                       const torch::Device& device)
    : arch_(arch), config_(config), k_(static_cast<int64_t>(seeds.size())) {
  if (auto why = arch_refuses(arch, Technique::Fused)) throw data_error(*why);
  if (seeds.empty()) throw internal_error("fused: no models");
  dropout_ = config.has("dropout") ? config.number("dropout") : 0.0;  // llama has none
  if (arch == Arch::Gpt) {
    ln_eps_ = config.number("ln_eps");
    gelu_ = config.flag("gelu_tanh") ? "tanh" : "none";
  }
  std::vector<std::vector<torch::Tensor>> each;
  std::vector<bool> trains;
  for (int64_t seed : seeds) {
    torch::manual_seed(static_cast<uint64_t>(seed));
    BlockModel m = build_model(arch, config, "");
    if (names_.empty()) {
      for (const auto& item : m->named_parameters()) {
        names_.push_back(item.key());
        trains.push_back(item.value().requires_grad());  // a bias-free LayerNorm's bias does not train
      }
      for (size_t b = 0; b < m->size(); ++b) block_prefix_.push_back(std::to_string(b) + "_" + m->block_name(b) + ".");
    }
    std::vector<torch::Tensor> ps;
    for (const auto& item : m->named_parameters()) ps.push_back(item.value().detach());
    each.push_back(std::move(ps));
  }
  torch::NoGradGuard g;
  for (size_t i = 0; i < names_.size(); ++i) {
    std::vector<torch::Tensor> slices;
    for (const auto& ps : each) slices.push_back(ps[i]);
    params_.push_back(torch::stack(slices).to(device).requires_grad_(trains[i]));
    index_[names_[i]] = i;
  }
}

std::vector<torch::Tensor> FusedModel::trainable() const {
  std::vector<torch::Tensor> out;
  for (const auto& t : params_)
    if (t.requires_grad()) out.push_back(t);
  return out;
}

BlockModel FusedModel::plain() const { return build_model(arch_, config_, ""); }

void FusedModel::extract(int64_t k, BlockModel& into) const {
  torch::NoGradGuard g;
  size_t i = 0;
  for (auto& item : into->named_parameters()) {
    if (i >= names_.size() || item.key() != names_[i]) throw internal_error("fused: parameter order differs");
    item.value().copy_(params_[i++][k]);
  }
}

void FusedModel::load(int64_t k, BlockModel& from) {
  torch::NoGradGuard g;
  size_t i = 0;
  for (auto& item : from->named_parameters()) {
    if (i >= names_.size() || item.key() != names_[i]) throw internal_error("fused: parameter order differs");
    params_[i++][k].copy_(item.value());
  }
}

const torch::Tensor& FusedModel::p(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw internal_error("fused: no parameter " + name);
  return params_[it->second];
}

torch::Tensor FusedModel::opt(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? torch::Tensor() : params_[it->second];
}

torch::Tensor FusedModel::linear(const torch::Tensor& x, const std::string& prefix, bool bias) const {
  const torch::Tensor& w = p(prefix + "weight");  // [K, out, in]
  auto sizes = x.sizes().vec();
  const torch::Tensor x3 = x.reshape({k_, -1, sizes.back()});
  const torch::Tensor b = bias ? opt(prefix + "bias") : torch::Tensor();
  torch::Tensor y = b.defined() ? torch::baddbmm(b.unsqueeze(1), x3, w.transpose(1, 2)) : torch::bmm(x3, w.transpose(1, 2));
  sizes.back() = w.size(1);
  return y.view(sizes);
}

torch::Tensor FusedModel::layer_norm(const torch::Tensor& x, const std::string& prefix) const {
  const int64_t c = x.size(-1);
  torch::Tensor y = torch::layer_norm(x, {c}, {}, {}, ln_eps_);
  return y * per_model(p(prefix + "weight"), x.dim()) + per_model(p(prefix + "bias"), x.dim());
}

torch::Tensor FusedModel::dropout(const torch::Tensor& x) const {
  return training_ && dropout_ > 0 ? torch::dropout(x, dropout_, true) : x;
}

// TransformerBlock (transformer.cpp), through the K dimension: x [K, b, t, c].
torch::Tensor FusedModel::block(const torch::Tensor& x, const std::string& pre, bool causal) {
  const int64_t b = x.size(1), t = x.size(2), c = x.size(3);
  const double p_att = training_ ? dropout_ : 0.0;
  torch::Tensor qkv = linear(layer_norm(x, pre + "ln1."), pre + "qkv.").view({k_ * b, t, 3 * c});
  torch::Tensor att = attend(qkv, config_.integer("heads"), causal, p_att).view({k_, b, t, c});
  torch::Tensor h = x + dropout(linear(att, pre + "proj."));
  torch::Tensor m = linear(torch::gelu(linear(layer_norm(h, pre + "ln2."), pre + "fc."), gelu_), pre + "fc_proj.");
  return h + dropout(m);
}

torch::Tensor FusedModel::gpt(const torch::Tensor& idx) {
  const int64_t t = idx.size(2);
  const torch::Tensor& tok = p(block_prefix_[0] + "tok.weight");  // [K, vocab, c]
  const torch::Tensor& pos = p(block_prefix_[0] + "pos.weight");  // [K, max_len, c]
  torch::Tensor x = dropout(embed(idx, tok) + pos.narrow(1, 0, t).unsqueeze(1));
  const size_t blocks = block_prefix_.size();
  for (size_t i = 1; i + 1 < blocks; ++i) x = block(x, block_prefix_[i], true);
  const std::string& head = block_prefix_.back();
  return project(layer_norm(x, head + "ln."), opt(head + "out.weight"), tok);
}

// The K tables as one [K * vocab, c] table, model k's ids offset by k * vocab.
torch::Tensor FusedModel::embed(const torch::Tensor& idx, const torch::Tensor& table) const {
  const auto offsets = (torch::arange(k_, idx.options()) * table.size(1)).view({k_, 1, 1});
  return torch::embedding(table.reshape({-1, table.size(2)}), idx + offsets);
}

torch::Tensor FusedModel::project(const torch::Tensor& x, const torch::Tensor& head, const torch::Tensor& table) const {
  const torch::Tensor& w = head.defined() ? head : table;  // a tied head reads the token table
  auto sizes = x.sizes().vec();
  torch::Tensor y = torch::bmm(x.reshape({k_, -1, sizes.back()}), w.transpose(1, 2));
  sizes.back() = w.size(1);
  return y.view(sizes);
}

// RMSNorm of llama.cpp (float32, then the weight) with each model's weight.
torch::Tensor FusedModel::rms_norm(const torch::Tensor& x, const std::string& prefix) const {
  return llama_rms_norm(x, per_model(p(prefix + "weight"), x.dim()), config_.number("rms_eps"));
}

// A llama decoder layer (models/llama.cpp) through the K dimension:
// x [K, b, t, c]; cos, sin [t, head_dim].
torch::Tensor FusedModel::llama_block(const torch::Tensor& x, const std::string& pre, const torch::Tensor& cos,
                                      const torch::Tensor& sin) const {
  const int64_t b = x.size(1), t = x.size(2), heads = config_.integer("heads"), kv = llama_kv_heads(config_),
                d = llama_head_dim(config_);
  const torch::Tensor h = rms_norm(x, pre + "input_layernorm.");
  auto q = linear(h, pre + "q_proj.").reshape({k_ * b, t, heads, d}).transpose(1, 2);  // [K b, H, t, d]
  auto k = linear(h, pre + "k_proj.").reshape({k_ * b, t, kv, d}).transpose(1, 2);     // [K b, KV, t, d]
  auto v = linear(h, pre + "v_proj.").reshape({k_ * b, t, kv, d}).transpose(1, 2);
  q = llama_rotate(q, cos, sin);
  k = llama_rotate(k, cos, sin);
  if (kv != heads) {
    k = k.repeat_interleave(heads / kv, 1);
    v = v.repeat_interleave(heads / kv, 1);
  }
  auto y = at::scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/true);
  const torch::Tensor a = x + linear(y.transpose(1, 2).reshape({k_, b, t, heads * d}), pre + "o_proj.");
  const torch::Tensor m = rms_norm(a, pre + "post_attention_layernorm.");
  return a + linear(torch::silu(linear(m, pre + "gate_proj.")) * linear(m, pre + "up_proj."), pre + "down_proj.");
}

torch::Tensor FusedModel::llama(const torch::Tensor& idx) {
  const int64_t t = idx.size(2);
  const torch::Tensor& tok = p(block_prefix_[0] + "embed_tokens.weight");  // [K, vocab, c]
  torch::Tensor x = embed(idx, tok);  // [K, b, t, c]
  const auto [cos, sin] = llama_rotary(llama_inv_freq(config_), t, x);
  const size_t blocks = block_prefix_.size();
  for (size_t i = 1; i + 1 < blocks; ++i) x = llama_block(x, block_prefix_[i], cos, sin);
  const std::string& head = block_prefix_.back();
  return project(rms_norm(x, head + "norm."), opt(head + "lm_head.weight"), tok);
}

torch::Tensor FusedModel::mlp(const torch::Tensor& images) {
  torch::Tensor x = images.flatten(2);  // [K, b, pixels]
  const size_t blocks = block_prefix_.size();
  for (size_t i = 0; i + 1 < blocks; ++i) x = dropout(torch::relu(linear(x, block_prefix_[i] + "fc.")));
  return linear(x, block_prefix_.back() + "fc.");
}

torch::Tensor FusedModel::vit(const torch::Tensor& images) {
  // Patches of K models at once: the K images side by side in the channel
  // dimension, a grouped convolution with K groups.
  const int64_t b = images.size(1), ch = images.size(2), patch = config_.integer("patch");
  const std::string& e = block_prefix_[0];
  const torch::Tensor& w = p(e + "conv.weight");  // [K, width, ch, patch, patch]
  const int64_t width = w.size(1);
  torch::Tensor x = images.transpose(0, 1).reshape({b, k_ * ch, images.size(3), images.size(4)});
  x = torch::conv2d(x, w.reshape({k_ * width, ch, patch, patch}), p(e + "conv.bias").reshape({-1}),
                    torch::IntArrayRef{patch, patch}, torch::IntArrayRef{0, 0}, torch::IntArrayRef{1, 1}, k_);
  x = x.view({b, k_, width, -1}).permute({1, 0, 3, 2});  // [K, b, n, width]
  torch::Tensor cls = p(e + "cls").expand({k_, b, 1, width});  // [K, 1, 1, w] -> [K, b, 1, w]
  x = dropout(torch::cat({cls, x}, 2) + p(e + "pos"));         // pos: [K, 1, n + 1, w]
  const size_t blocks = block_prefix_.size();
  for (size_t i = 1; i + 1 < blocks; ++i) x = block(x, block_prefix_[i], false);
  const std::string& head = block_prefix_.back();
  return linear(layer_norm(x.select(2, 0), head + "ln."), head + "out.");
}

torch::Tensor FusedModel::forward(const torch::Tensor& x) {
  if (x.size(0) != k_) throw internal_error("fused: input has " + std::to_string(x.size(0)) + " models, expected " + std::to_string(k_));
  switch (arch_) {
    case Arch::Gpt: return gpt(x);
    case Arch::Mlp: return mlp(x);
    case Arch::Vit: return vit(x);
    case Arch::Llama: return llama(x);
    default: throw internal_error("fused: architecture");
  }
}

torch::Tensor FusedModel::losses(const torch::Tensor& logits, const torch::Tensor& targets, bool masked) {
  const int64_t k = logits.size(0), classes = logits.size(-1);
  torch::Tensor each = torch::nn::functional::cross_entropy(
      logits.reshape({-1, classes}), targets.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  if (!masked) return each.view({k, -1}).mean(1);
  // The mean over each model's trained targets (ignored ones add 0).
  const auto trained = (targets.reshape({k, -1}) != -100).sum(1).clamp_min(1).to(each.dtype());
  return each.view({k, -1}).sum(1) / trained;
}

}  // namespace saturn::train
