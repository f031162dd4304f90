#include "train/data/dataset.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "train/data/sources.h"

namespace saturn::train {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw no_input_error(path + ": cannot read data: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

InputShape input_shape(Arch arch, const Config& c, const DataSpec& data) {
  InputShape s;
  Modality m = arch_modality(arch);
  if (m == Modality::Any) m = data_modality(data.train.format);
  if (m == Modality::Any) m = Modality::Tokens;  // torchscript on synthetic data: tokens
  s.modality = m;
  if (m == Modality::Tokens) {
    s.seq_len = c.integer("seq_len");
    s.vocab = c.has("vocab") ? c.integer("vocab") : 256;
  } else {
    s.image = c.integer("image");
    s.channels = c.integer("channels");
    s.classes = c.has("classes") ? c.integer("classes") : 10;
  }
  return s;
}

namespace {

struct Opened {
  torch::Tensor tokens;          // token sources
  torch::Tensor images, labels;  // image sources
};

// `tokenizer`: text sources' tokenizer.json as written ("" for bytes).
Opened read_source(const DataSource& s, const std::string& tokenizer, const InputShape& shape,
                   const std::function<std::string(const std::string&)>& resolve) {
  Opened o;
  const std::string path = resolve(s.path);
  switch (s.format) {
    case DataFormat::Text:
      o.tokens = tokenizer.empty() ? read_text_tokens(path) : read_tokenized_text(path, resolve(tokenizer), shape.vocab);
      break;
    case DataFormat::Tokens: o.tokens = read_token_ids(path, s.token_bytes, shape.vocab); break;
    case DataFormat::Idx: read_idx(path, resolve(s.labels), &o.images, &o.labels); break;
    case DataFormat::Cifar: read_cifar(path, &o.images, &o.labels); break;
    case DataFormat::Synthetic:
    case DataFormat::Jsonl: break;  // (open_jsonl)
  }
  if (o.images.defined()) {
    const int64_t c = o.images.size(1), h = o.images.size(2), w = o.images.size(3);
    if (c != shape.channels || h != shape.image || w != shape.image)
      throw data_error(path + ": images are " + std::to_string(h) + "x" + std::to_string(w) + " with " +
                       std::to_string(c) + " channel(s), but the model's config says image " +
                       std::to_string(shape.image) + ", channels " + std::to_string(shape.channels));
    const int64_t max_label = o.labels.numel() ? o.labels.max().item<int64_t>() : 0;
    if (max_label >= shape.classes)
      throw data_error(path + ": label " + std::to_string(max_label) + " is not below the model's classes (" +
                       std::to_string(shape.classes) + ")");
  }
  return o;
}

// Windows of a token stream: (n - 1) / seq_len; the stream must hold one.
int64_t windows_of(const torch::Tensor& tokens, const InputShape& shape, const std::string& path) {
  const int64_t n = tokens.numel(), w = (n - 1) / shape.seq_len;
  if (w < 1)
    throw data_error(path + ": " + std::to_string(n) + " tokens is shorter than one sequence: seq_len " +
                     std::to_string(shape.seq_len) + " needs at least " + std::to_string(shape.seq_len + 1) +
                     " tokens");
  return w;
}

// A whole source as one dataset (an explicit valid set). Synthetic images
// take their class patterns from `pattern_seed` (the train set's seed).
std::unique_ptr<Dataset> whole(const DataSpec& d, const DataSource& s, const InputShape& shape,
                               const std::function<std::string(const std::string&)>& resolve, int64_t pattern_seed) {
  const std::string& tokenizer = d.tokenizer;
  if (s.format == DataFormat::Jsonl) return open_jsonl(d, s, shape, resolve).train;
  if (s.format == DataFormat::Synthetic) {
    const auto seed = static_cast<uint64_t>(s.seed);
    return shape.modality == Modality::Tokens
               ? synthetic_tokens(s.samples, shape.seq_len, shape.vocab, seed)
               : synthetic_images(s.samples, shape.channels, shape.image, shape.classes,
                                  static_cast<uint64_t>(pattern_seed), seed, s.noise);
  }
  Opened o = read_source(s, tokenizer, shape, resolve);
  if (o.tokens.defined())
    return token_windows(o.tokens, shape.seq_len, 0, windows_of(o.tokens, shape, resolve(s.path)));
  return image_set(o.images, o.labels, 0, o.images.size(0));
}

}  // namespace

DataSplit open_data(const DataSpec& spec, const InputShape& shape,
                    const std::function<std::string(const std::string&)>& resolve) {
  DataSplit split;
  if (spec.valid) {
    split.train = whole(spec, spec.train, shape, resolve, spec.train.seed);
    split.valid = whole(spec, *spec.valid, shape, resolve, spec.train.seed);
    return split;
  }
  const DataSource& s = spec.train;
  if (s.format == DataFormat::Jsonl) {  // held out by record
    JsonlSplit j = open_jsonl(spec, s, shape, resolve);
    split.train = std::move(j.train);
    split.valid = std::move(j.held_out);
    return split;
  }
  if (s.format == DataFormat::Synthetic) {
    const int64_t v = held_out(s.samples, spec.valid_fraction);
    const auto seed = static_cast<uint64_t>(s.seed);
    if (shape.modality == Modality::Tokens) {
      split.train = synthetic_tokens(s.samples - v, shape.seq_len, shape.vocab, seed);
      split.valid = synthetic_tokens(v, shape.seq_len, shape.vocab, seed ^ 0xa11d);
    } else {
      split.train = synthetic_images(s.samples - v, shape.channels, shape.image, shape.classes, seed, seed, s.noise);
      split.valid = synthetic_images(v, shape.channels, shape.image, shape.classes, seed, seed ^ 0xa11d, s.noise);
    }
    return split;
  }
  Opened o = read_source(s, spec.tokenizer, shape, resolve);
  if (o.tokens.defined()) {
    const int64_t w = windows_of(o.tokens, shape, resolve(s.path)), v = held_out(w, spec.valid_fraction);
    split.train = token_windows(o.tokens, shape.seq_len, 0, w - v);
    split.valid = token_windows(o.tokens, shape.seq_len, w - v, v);
  } else {
    const int64_t n = o.images.size(0), v = held_out(n, spec.valid_fraction);
    split.train = image_set(o.images, o.labels, 0, n - v);
    split.valid = image_set(o.images, o.labels, n - v, v);
  }
  return split;
}

}  // namespace saturn::train
