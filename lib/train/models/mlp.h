// mlp: a multi-layer perceptron on flattened images as a BlockModel:
// [hidden x layers, head]. Input [batch, channels, image, image]; output
// logits [batch, classes].
#pragma once

#include "core/value.h"
#include "train/models/block_model.h"

namespace saturn::train {

// Builds from a validated mlp config (image, channels, hidden, layers, classes, dropout).
BlockModel make_mlp(const Config& c);

}  // namespace saturn::train
