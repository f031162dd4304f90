#include "train/models/vit.h"

#include "train/models/transformer.h"

namespace saturn::train {
namespace {

class PatchEmbedImpl : public torch::nn::Module {
 public:
  PatchEmbedImpl(int64_t image, int64_t patch, int64_t channels, int64_t width, double dropout) {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, width, patch).stride(patch)));
    const int64_t n = (image / patch) * (image / patch);
    cls = register_parameter("cls", torch::zeros({1, 1, width}));
    pos = register_parameter("pos", torch::randn({1, n + 1, width}) * 0.02);
    drop = register_module("drop", torch::nn::Dropout(dropout));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = conv(x).flatten(2).transpose(1, 2);  // [b, n, width]
    x = torch::cat({cls.expand({x.size(0), 1, x.size(2)}), x}, 1);
    return drop(x + pos);
  }
  torch::nn::Conv2d conv{nullptr};
  torch::Tensor cls, pos;
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(PatchEmbed);

class ClassHeadImpl : public torch::nn::Module {
 public:
  ClassHeadImpl(int64_t width, int64_t classes) {
    ln = register_module("ln", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
    out = register_module("out", Dense(width, classes, true, true));
    init_linear(out, 0.02);
  }
  torch::Tensor forward(torch::Tensor x) { return out(ln(x.select(1, 0))); }
  torch::nn::LayerNorm ln{nullptr};
  Dense out{nullptr};
};
TORCH_MODULE(ClassHead);

}  // namespace

BlockModel make_vit(const Config& c) {
  const int64_t image = c.integer("image"), patch = c.integer("patch"), width = c.integer("width"),
                layers = c.integer("layers");
  const double dropout = c.number("dropout");
  BlockModel m;
  m->add_block("embed", PatchEmbed(image, patch, c.integer("channels"), width, dropout));
  TransformerOptions o;
  o.width = width;
  o.heads = c.integer("heads");
  o.mlp_ratio = c.integer("mlp_ratio");
  o.dropout = dropout;
  o.causal = false;
  o.depth = layers;
  for (int64_t i = 0; i < layers; ++i) m->add_block("block", TransformerBlock(o));
  m->add_block("head", ClassHead(width, c.integer("classes")));
  return m;
}

}  // namespace saturn::train
