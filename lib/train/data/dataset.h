// Datasets: indexable samples (token windows or labelled images) and the
// train/valid split of a job's data. Samples are produced on demand, so a
// synthetic set of any size costs no memory. Immutable after opening: safe to
// read from one thread at a time.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "core/workload.h"

namespace saturn::train {

struct Batch {
  torch::Tensor input;   // int64 [b, tokens] or float [b, channels, h, w]
  torch::Tensor target;  // int64 [b, tokens] or [b]; kIgnore where no loss is taken
};

// A target the loss skips (cross_entropy's ignore_index): masked tokens.
inline constexpr int64_t kIgnore = -100;

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;  // samples
  // The samples at `indices` (each < size()), stacked, on the CPU.
  virtual Batch batch(const std::vector<int64_t>& indices) const = 0;
  // Tokens (for token sets) or 1 (images) per sample.
  virtual int64_t tokens_per_sample() const = 0;
  // Targets the loss is taken on in the samples at `indices` (all of them
  // but masked ones): each micro-batch's share of a batch's loss.
  virtual int64_t trained_targets(const std::vector<int64_t>& indices) const {
    return static_cast<int64_t>(indices.size()) * tokens_per_sample();
  }
  // Trained targets per sample, on average: for tokens/s.
  virtual double trained_per_sample() const { return static_cast<double>(tokens_per_sample()); }
};

struct DataSplit {
  std::unique_ptr<Dataset> train;
  std::unique_ptr<Dataset> valid;  // may have zero samples (valid_fraction 0)
};

// What a model at one grid point consumes, from its config.
struct InputShape {
  Modality modality = Modality::Tokens;
  int64_t seq_len = 0;    // tokens
  int64_t vocab = 256;    // tokens
  int64_t image = 0;      // images: side
  int64_t channels = 0;   // images
  int64_t classes = 0;    // images
};
InputShape input_shape(Arch arch, const Config& config, const DataSpec& data);

// Opens a job's data (paths resolved by `resolve`). Throws saturn::Error:
// NoInput (66) naming a missing file, Data (65) for a file too short or of
// the wrong shape, saying what is needed.
DataSplit open_data(const DataSpec& spec, const InputShape& shape,
                    const std::function<std::string(const std::string&)>& resolve);

// Whole file as bytes; NoInput naming `path` when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace saturn::train
