#include "train/models/build.h"

#include "core/error.h"
#include "train/models/gpt.h"
#include "train/models/llama.h"
#include "train/models/mlp.h"
#include "train/models/torchscript.h"
#include "train/models/vit.h"

namespace saturn::train {

BlockModel build_model(Arch arch, const Config& config, const std::string& module_path, bool init) {
  switch (arch) {
    case Arch::Gpt: return make_gpt(config, init);
    case Arch::Mlp: return make_mlp(config);
    case Arch::Vit: return make_vit(config);
    case Arch::Torchscript: return load_torchscript(module_path);
    case Arch::Llama: return make_llama(config, init);
    case Arch::Resnet: break;
  }
  throw Error(ErrorKind::Unavailable, std::string("arch ") + arch_name(arch) +
                                          ": training is not built into this saturn yet (planning and "
                                          "estimates are)");
}

}  // namespace saturn::train
