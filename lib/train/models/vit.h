// vit: a Vision Transformer as a BlockModel: [patch embed, block x layers,
// head]. Input images [batch, channels, image, image] (float); output logits
// [batch, classes] from the class token.
#pragma once

#include "core/value.h"
#include "train/models/block_model.h"

namespace saturn::train {

// Builds from a validated vit config (image, patch, channels, layers, width,
// heads, mlp_ratio, classes, dropout).
BlockModel make_vit(const Config& c);

}  // namespace saturn::train
