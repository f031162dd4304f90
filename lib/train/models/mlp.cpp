#include "train/models/mlp.h"

namespace saturn::train {
namespace {

class DenseImpl : public torch::nn::Module {
 public:
  DenseImpl(int64_t in, int64_t out, double dropout, bool flatten, bool relu)
      : flatten_(flatten), relu_(relu) {
    fc = register_module("fc", torch::nn::Linear(in, out));
    drop = register_module("drop", torch::nn::Dropout(dropout));
  }
  torch::Tensor forward(torch::Tensor x) {
    if (flatten_) x = x.flatten(1);
    x = fc(x);
    return relu_ ? drop(torch::relu(x)) : x;
  }
  torch::nn::Linear fc{nullptr};
  torch::nn::Dropout drop{nullptr};

 private:
  bool flatten_, relu_;
};
TORCH_MODULE(Dense);

}  // namespace

BlockModel make_mlp(const Config& c) {
  const int64_t image = c.integer("image"), hidden = c.integer("hidden"), layers = c.integer("layers");
  const double dropout = c.number("dropout");
  int64_t in = image * image * c.integer("channels");
  BlockModel m;
  for (int64_t i = 0; i < layers; ++i) {
    m->add_block("dense", Dense(in, hidden, dropout, i == 0, true));
    in = hidden;
  }
  m->add_block("head", Dense(in, c.integer("classes"), 0.0, layers == 0, false));
  return m;
}

}  // namespace saturn::train
