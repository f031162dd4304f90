#include "train/models/torchscript.h"

#include <torch/script.h>

#include <sys/stat.h>

#include "core/error.h"

namespace saturn::train {
namespace {

// Registers the script module's parameters (shared tensors) so optimizers,
// checkpoints and parallelisms see them like any other module's.
class ScriptBlockImpl : public torch::nn::Module {
 public:
  explicit ScriptBlockImpl(torch::jit::Module m) : module_(std::move(m)) {
    for (const auto& p : module_.named_parameters(/*recurse=*/true)) {
      std::string name = p.name;
      for (auto& ch : name)
        if (ch == '.') ch = '_';
      register_parameter(name, p.value);
    }
  }
  torch::Tensor forward(torch::Tensor x) { return module_.forward({x}).toTensor(); }
  void train(bool on) override {
    torch::nn::Module::train(on);
    module_.train(on);
  }

 private:
  torch::jit::Module module_;
};
TORCH_MODULE(ScriptBlock);

}  // namespace

BlockModel load_torchscript(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw no_input_error(path + ": TorchScript module not found");
  torch::jit::Module m;
  try {
    m = torch::jit::load(path);
  } catch (const c10::Error& e) {
    throw data_error(path + ": not a TorchScript module: " + e.msg());
  }
  BlockModel model;
  model->add_block("script", ScriptBlock(std::move(m)));
  return model;
}

}  // namespace saturn::train
