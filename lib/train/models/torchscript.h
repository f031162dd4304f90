// torchscript: a module saved from PyTorch (torch.jit.script(m).save(path)),
// loaded and trained as it is, as a one-block BlockModel. Its forward takes
// the data's input (token ids [batch, tokens] or images) and returns logits
// ([batch, tokens, vocab] or [batch, classes]).
#pragma once

#include <string>

#include "train/models/block_model.h"

namespace saturn::train {

// Loads the module; throws saturn::Error (NoInput if missing, Data if it is
// not a TorchScript module).
BlockModel load_torchscript(const std::string& path);

}  // namespace saturn::train
