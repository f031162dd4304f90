#include "train/models/gpt.h"

#include "train/models/decode.h"
#include "train/models/transformer.h"

namespace saturn::train {
namespace {

class EmbedImpl : public torch::nn::Module, public EmbedsAt {
 public:
  EmbedImpl(int64_t vocab, int64_t max_len, int64_t width, double dropout, bool init) {
    tok = register_module("tok", Table(vocab, width, init));
    pos = register_module("pos", Table(max_len, width, init));
    drop = register_module("drop", torch::nn::Dropout(dropout));
    if (!init) return;
    torch::NoGradGuard g;
    tok->weight.normal_(0.0, 0.02);
    pos->weight.normal_(0.0, 0.01);
  }
  torch::Tensor forward(torch::Tensor idx) {
    auto positions = torch::arange(idx.size(1), idx.options().dtype(torch::kLong));
    return drop(tok(idx) + pos(positions));
  }
  torch::Tensor embed_at(const torch::Tensor& idx, const torch::Tensor& positions) override {
    return drop(tok(idx) + pos(positions));
  }
  Table tok{nullptr}, pos{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(Embed);

// Final LayerNorm and the projection to the vocabulary. A tied head uses the
// token embedding's weight (owned and registered by the embed block only).
class HeadImpl : public torch::nn::Module {
 public:
  HeadImpl(int64_t width, int64_t vocab, bool bias, double eps, bool init, const Embed& tied) {
    ln = register_module("ln", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(eps)));
    if (tied) {
      tied_ = tied;
    } else {
      out = register_module("out", Dense(width, vocab, false, init));
      if (init) init_linear(out, 0.02);
    }
    if (!bias) ln->bias.requires_grad_(false);
  }
  torch::Tensor forward(torch::Tensor x) {
    x = ln(x);
    return tied_ ? torch::nn::functional::linear(x, tied_->tok->weight) : out(x);
  }
  torch::nn::LayerNorm ln{nullptr};
  Dense out{nullptr};

 private:
  Embed tied_{nullptr};
};
TORCH_MODULE(Head);

}  // namespace

BlockModel make_gpt(const Config& c, bool init) {
  const int64_t layers = c.integer("layers"), width = c.integer("width"), vocab = c.integer("vocab"),
                seq_len = c.integer("seq_len");
  const double dropout = c.number("dropout");
  const bool bias = c.flag("bias");
  BlockModel m;
  const int64_t positions = c.integer("positions") > 0 ? c.integer("positions") : seq_len;
  Embed embed(vocab, positions, width, dropout, init);
  m->add_block("embed", embed);
  TransformerOptions o;
  o.width = width;
  o.heads = c.integer("heads");
  o.mlp_ratio = c.integer("mlp_ratio");
  o.dropout = dropout;
  o.causal = true;
  o.bias = bias;
  o.depth = layers;
  o.ln_eps = c.number("ln_eps");
  o.gelu_tanh = c.flag("gelu_tanh");
  o.init = init;
  for (int64_t i = 0; i < layers; ++i) m->add_block("block", TransformerBlock(o));
  m->add_block("head", Head(width, vocab, bias, o.ln_eps, init, c.flag("tied_head") ? embed : Embed(nullptr)));
  if (c.flag("tied_head")) m->add_use(m->size() - 1, 0);
  return m;
}

}  // namespace saturn::train
