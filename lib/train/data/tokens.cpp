#include <cstring>

#include "core/error.h"
#include "tokenize/text_tokens.h"
#include "train/data/sampler.h"
#include "train/data/sources.h"

namespace saturn::train {
namespace {

class TokenWindows : public Dataset {
 public:
  TokenWindows(torch::Tensor tokens, int64_t seq_len, int64_t first, int64_t count)
      : tokens_(std::move(tokens)), t_(seq_len), first_(first), count_(count) {}
  int64_t size() const override { return count_; }
  int64_t tokens_per_sample() const override { return t_; }
  Batch batch(const std::vector<int64_t>& indices) const override {
    const auto b = static_cast<int64_t>(indices.size());
    auto input = torch::empty({b, t_}, torch::kLong), target = torch::empty({b, t_}, torch::kLong);
    const int64_t* src = tokens_.data_ptr<int64_t>();
    int64_t* in = input.data_ptr<int64_t>();
    int64_t* tg = target.data_ptr<int64_t>();
    for (int64_t r = 0; r < b; ++r) {
      const int64_t start = (first_ + indices[static_cast<size_t>(r)]) * t_;
      std::memcpy(in + r * t_, src + start, sizeof(int64_t) * static_cast<size_t>(t_));
      std::memcpy(tg + r * t_, src + start + 1, sizeof(int64_t) * static_cast<size_t>(t_));
    }
    return {input, target};
  }

 private:
  torch::Tensor tokens_;
  int64_t t_, first_, count_;
};

class SyntheticTokens : public Dataset {
 public:
  SyntheticTokens(int64_t samples, int64_t seq_len, int64_t vocab, uint64_t seed)
      : n_(samples), t_(seq_len), v_(vocab), seed_(seed) {}
  int64_t size() const override { return n_; }
  int64_t tokens_per_sample() const override { return t_; }
  Batch batch(const std::vector<int64_t>& indices) const override {
    const auto b = static_cast<int64_t>(indices.size());
    auto seq = torch::empty({b, t_ + 1}, torch::kLong);
    int64_t* p = seq.data_ptr<int64_t>();
    const uint64_t v = static_cast<uint64_t>(v_);
    for (int64_t r = 0; r < b; ++r) {
      uint64_t s = mix64(seed_ ^ mix64(static_cast<uint64_t>(indices[static_cast<size_t>(r)])));
      const uint64_t step = 1 + s % 3;
      uint64_t x = (s >> 8) % v;
      for (int64_t t = 0; t <= t_; ++t) {
        s = mix64(s);
        p[r * (t_ + 1) + t] = static_cast<int64_t>(s % 10 == 0 ? (s >> 16) % v : x);
        x = (x + step) % v;
      }
    }
    return {seq.slice(1, 0, t_).contiguous(), seq.slice(1, 1, t_ + 1).contiguous()};
  }

 private:
  int64_t n_, t_, v_;
  uint64_t seed_;
};

}  // namespace

std::unique_ptr<Dataset> token_windows(torch::Tensor tokens, int64_t seq_len, int64_t first, int64_t count) {
  return std::make_unique<TokenWindows>(std::move(tokens), seq_len, first, count);
}

std::unique_ptr<Dataset> synthetic_tokens(int64_t samples, int64_t seq_len, int64_t vocab, uint64_t seed) {
  return std::make_unique<SyntheticTokens>(samples, seq_len, vocab, seed);
}

torch::Tensor read_text_tokens(const std::string& path) {
  std::string bytes;
  for (const auto& doc : tok::text_documents(path)) bytes += read_file(doc);
  auto t = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kLong);
  int64_t* p = t.data_ptr<int64_t>();
  for (size_t i = 0; i < bytes.size(); ++i) p[i] = static_cast<unsigned char>(bytes[i]);
  return t;
}

torch::Tensor read_tokenized_text(const std::string& path, const std::string& tokenizer, int64_t vocab) {
  const tok::TextTokens t = tok::text_tokens(path, tokenizer, tok::default_token_cache());
  if (t.vocab > vocab)
    throw data_error(tokenizer + ": the tokenizer has " + std::to_string(t.vocab) + " ids, more than the model's vocab (" +
                     std::to_string(vocab) + ")");
  return read_token_ids(t.path, 4, vocab);
}

torch::Tensor read_token_ids(const std::string& path, int64_t width, int64_t vocab) {
  const std::string bytes = read_file(path);
  const auto w = static_cast<size_t>(width);
  if (bytes.size() % w != 0)
    throw data_error(path + ": a tokens file holds uint" + std::to_string(8 * width) + " ids, but its size (" +
                     std::to_string(bytes.size()) + " bytes) is not a multiple of " + std::to_string(width));
  const auto n = static_cast<int64_t>(bytes.size() / w);
  auto t = torch::empty({n}, torch::kLong);
  int64_t* p = t.data_ptr<int64_t>();
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  for (int64_t i = 0; i < n; ++i) {
    const unsigned char* q = b + static_cast<size_t>(i) * w;
    int64_t v = 0;
    for (size_t k = w; k-- > 0;) v = (v << 8) | q[k];  // little-endian
    p[i] = v;
    if (v >= vocab)
      throw data_error(path + ": token " + std::to_string(i) + " is " + std::to_string(v) +
                       ", not below the model's vocab (" + std::to_string(vocab) + ")");
  }
  return t;
}

}  // namespace saturn::train
