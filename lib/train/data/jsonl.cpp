// Packed jsonl data (tok::packed_jsonl) as samples: input ids [seq_len] and
// targets [seq_len] with kIgnore where the mask says no loss.
#include "core/error.h"
#include "tokenize/jsonl_data.h"
#include "tokenize/text_tokens.h"
#include "train/data/sources.h"

namespace saturn::train {
namespace {

class MaskedWindows : public Dataset {
 public:
  MaskedWindows(torch::Tensor ids, std::string mask, int64_t seq_len, int64_t stride, int64_t samples)
      : ids_(std::move(ids)), mask_(std::move(mask)), t_(seq_len), stride_(stride), n_(samples) {
    for (int64_t i = 0; i < n_; ++i) {
      int64_t c = 0;
      for (int64_t k = 1; k <= t_; ++k) c += mask_[static_cast<size_t>(i * stride_ + k)] != 0;
      trained_.push_back(c);
      total_ += c;
    }
  }
  int64_t size() const override { return n_; }
  int64_t tokens_per_sample() const override { return t_; }
  int64_t trained_targets(const std::vector<int64_t>& indices) const override {
    int64_t c = 0;
    for (int64_t i : indices) c += trained_[static_cast<size_t>(i)];
    return c;
  }
  double trained_per_sample() const override { return n_ ? static_cast<double>(total_) / static_cast<double>(n_) : 0.0; }
  Batch batch(const std::vector<int64_t>& indices) const override {
    const auto b = static_cast<int64_t>(indices.size());
    auto input = torch::empty({b, t_}, torch::kLong), target = torch::empty({b, t_}, torch::kLong);
    const int64_t* src = ids_.data_ptr<int64_t>();
    int64_t* in = input.data_ptr<int64_t>();
    int64_t* tg = target.data_ptr<int64_t>();
    for (int64_t r = 0; r < b; ++r) {
      const int64_t start = indices[static_cast<size_t>(r)] * stride_;
      for (int64_t k = 0; k < t_; ++k) {
        in[r * t_ + k] = src[start + k];
        tg[r * t_ + k] = mask_[static_cast<size_t>(start + k + 1)] ? src[start + k + 1] : kIgnore;
      }
    }
    return {input, target};
  }

 private:
  torch::Tensor ids_;
  std::string mask_;
  int64_t t_, stride_, n_, total_ = 0;
  std::vector<int64_t> trained_;  // per sample
};

std::unique_ptr<Dataset> side(const tok::PackedData& p, const tok::PackedSplit& s, int64_t vocab) {
  if (s.samples == 0) return std::make_unique<MaskedWindows>(torch::empty({0}, torch::kLong), "", p.seq_len, p.stride, 0);
  return std::make_unique<MaskedWindows>(read_token_ids(s.ids_path, 4, vocab), read_file(s.mask_path), p.seq_len,
                                         p.stride, s.samples);
}

}  // namespace

JsonlSplit open_jsonl(const DataSpec& d, const DataSource& s, const InputShape& shape,
                      const std::function<std::string(const std::string&)>& resolve) {
  const tok::PackedData p = tok::packed_jsonl(resolve(s.path), resolve(d.tokenizer), s.jsonl,
                                              tok::pack_options(d, s, shape.seq_len, true), tok::default_token_cache());
  if (p.vocab > shape.vocab)
    throw data_error(d.tokenizer + ": the tokenizer has " + std::to_string(p.vocab) + " ids, more than the model's vocab (" +
                     std::to_string(shape.vocab) + ")");
  if (p.train.samples == 0)
    throw data_error(s.path + ": " + std::to_string(p.train.records) + " records make no training sample of seq_len " +
                     std::to_string(shape.seq_len));
  return {side(p, p.train, shape.vocab), side(p, p.valid, shape.vocab)};
}

}  // namespace saturn::train
