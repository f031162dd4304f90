// gpt: a decoder-only transformer (GPT-2 style: learned positions,
// pre-LayerNorm blocks, GELU MLP, tied or untied output head) as a
// BlockModel: [embed, block x layers, head]. Input token ids [batch, tokens]
// (int64); output logits [batch, tokens, vocab].
#pragma once

#include "core/value.h"
#include "train/models/block_model.h"

namespace saturn::train {

// Builds from a validated gpt config (see arch.h: layers, width, heads,
// seq_len, vocab, mlp_ratio, dropout, tied_head, bias, positions, ln_eps,
// gelu_tanh); without `init` the weights are left for a load (dense.h).
BlockModel make_gpt(const Config& c, bool init = true);

}  // namespace saturn::train
