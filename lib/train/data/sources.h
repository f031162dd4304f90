// The dataset kinds behind open_data(): token windows over a token stream,
// seeded synthetic token sequences, labelled image tensors, seeded synthetic
// images. Internal to lib/train/data.
#pragma once

#include "train/data/dataset.h"

namespace saturn::train {

// Non-overlapping windows [i*T, i*T + T] over windows [first, first + count)
// of a token stream (int64, 1-D).
std::unique_ptr<Dataset> token_windows(torch::Tensor tokens, int64_t seq_len, int64_t first, int64_t count);

// Learnable synthetic sequences: each sample counts up by a per-sample step
// modulo vocab, with 10% of tokens replaced by noise.
std::unique_ptr<Dataset> synthetic_tokens(int64_t samples, int64_t seq_len, int64_t vocab, uint64_t seed);

// Images (uint8 [n, c, h, w]) and labels (int64 [n]) rows [first, first + count).
std::unique_ptr<Dataset> image_set(torch::Tensor images, torch::Tensor labels, int64_t first, int64_t count);

// Learnable synthetic images: a fixed random pattern per class (from
// `pattern_seed`, shared by a train set and its valid set) plus Gaussian
// noise of standard deviation `noise` (from `seed`).
std::unique_ptr<Dataset> synthetic_images(int64_t samples, int64_t channels, int64_t image, int64_t classes,
                                          uint64_t pattern_seed, uint64_t seed, double noise = 1.0);

// Jsonl source `s` of data `d`, packed (tok::packed_jsonl): its training
// samples, and the records it holds out (d has no valid source) or none.
struct JsonlSplit {
  std::unique_ptr<Dataset> train, held_out;
};
JsonlSplit open_jsonl(const DataSpec& d, const DataSource& s, const InputShape& shape,
                      const std::function<std::string(const std::string&)>& resolve);

// Token streams and image files. Throw saturn::Error (66 missing, 65 malformed).
// Text as bytes: a file, or a folder's files one after another.
torch::Tensor read_text_tokens(const std::string& path);
// Text as a tokenizer's ids (tok::text_tokens, in the default token cache);
// a Data error when the tokenizer's vocabulary is larger than `vocab`.
torch::Tensor read_tokenized_text(const std::string& path, const std::string& tokenizer, int64_t vocab);
// Flat little-endian ids of `bytes` (2 or 4) each, every one below `vocab`.
torch::Tensor read_token_ids(const std::string& path, int64_t bytes, int64_t vocab);
void read_idx(const std::string& images_path, const std::string& labels_path, torch::Tensor* images,
              torch::Tensor* labels);
void read_cifar(const std::string& path, torch::Tensor* images, torch::Tensor* labels);

}  // namespace saturn::train
