#include "core/error.h"
#include "train/data/sampler.h"
#include "train/data/sources.h"

namespace saturn::train {
namespace {

// uint8 pixels -> float in [-1, 1].
torch::Tensor normalise(const torch::Tensor& u8) { return u8.to(torch::kFloat).div_(127.5).sub_(1.0); }

class ImageSet : public Dataset {
 public:
  ImageSet(torch::Tensor images, torch::Tensor labels, int64_t first, int64_t count)
      : images_(std::move(images)), labels_(std::move(labels)), first_(first), count_(count) {}
  int64_t size() const override { return count_; }
  int64_t tokens_per_sample() const override { return 1; }
  Batch batch(const std::vector<int64_t>& indices) const override {
    std::vector<int64_t> rows(indices);
    for (auto& r : rows) r += first_;
    auto idx = torch::tensor(rows, torch::kLong);
    return {normalise(images_.index_select(0, idx)), labels_.index_select(0, idx)};
  }

 private:
  torch::Tensor images_, labels_;
  int64_t first_, count_;
};

class SyntheticImages : public Dataset {
 public:
  SyntheticImages(int64_t samples, int64_t channels, int64_t image, int64_t classes, uint64_t pattern_seed,
                  uint64_t seed, double noise)
      : n_(samples), classes_(classes), seed_(seed), noise_(noise) {
    auto g = at::detail::createCPUGenerator(pattern_seed ^ 0x5eed);
    patterns_ = at::randn({classes, channels, image, image}, g);
  }
  int64_t size() const override { return n_; }
  int64_t tokens_per_sample() const override { return 1; }
  Batch batch(const std::vector<int64_t>& indices) const override {
    const auto b = static_cast<int64_t>(indices.size());
    std::vector<int64_t> labels(indices.size());
    std::vector<torch::Tensor> images;
    for (int64_t r = 0; r < b; ++r) {
      const uint64_t s = mix64(seed_ ^ mix64(static_cast<uint64_t>(indices[static_cast<size_t>(r)])));
      labels[static_cast<size_t>(r)] = static_cast<int64_t>(s % static_cast<uint64_t>(classes_));
      auto g = at::detail::createCPUGenerator(s);
      auto n = at::randn(patterns_.sizes().slice(1), g);
      images.push_back(patterns_[labels[static_cast<size_t>(r)]] + (noise_ == 1.0 ? n : n * noise_));
    }
    return {torch::stack(images), torch::tensor(labels, torch::kLong)};
  }

 private:
  int64_t n_, classes_;
  uint64_t seed_;
  double noise_;
  torch::Tensor patterns_;
};

uint32_t be32(const std::string& b, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(b[at])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(b[at + 3]));
}

}  // namespace

std::unique_ptr<Dataset> image_set(torch::Tensor images, torch::Tensor labels, int64_t first, int64_t count) {
  return std::make_unique<ImageSet>(std::move(images), std::move(labels), first, count);
}

std::unique_ptr<Dataset> synthetic_images(int64_t samples, int64_t channels, int64_t image, int64_t classes,
                                          uint64_t pattern_seed, uint64_t seed, double noise) {
  return std::make_unique<SyntheticImages>(samples, channels, image, classes, pattern_seed, seed, noise);
}

void read_idx(const std::string& images_path, const std::string& labels_path, torch::Tensor* images,
              torch::Tensor* labels) {
  const std::string img = read_file(images_path), lab = read_file(labels_path);
  if (img.size() < 16 || be32(img, 0) != 0x00000803)
    throw data_error(images_path + ": not an idx image file (expected magic 0x00000803)");
  if (lab.size() < 8 || be32(lab, 0) != 0x00000801)
    throw data_error(labels_path + ": not an idx label file (expected magic 0x00000801)");
  const int64_t n = be32(img, 4), rows = be32(img, 8), cols = be32(img, 12);
  if (static_cast<int64_t>(img.size()) != 16 + n * rows * cols)
    throw data_error(images_path + ": header says " + std::to_string(n) + " images of " + std::to_string(rows) +
                     "x" + std::to_string(cols) + ", but the file has " + std::to_string(img.size()) + " bytes");
  if (be32(lab, 4) != n || static_cast<int64_t>(lab.size()) != 8 + n)
    throw data_error(labels_path + ": expected " + std::to_string(n) + " labels to match " + images_path);
  *images = torch::from_blob(const_cast<char*>(img.data()) + 16, {n, 1, rows, cols}, torch::kUInt8).clone();
  *labels = torch::from_blob(const_cast<char*>(lab.data()) + 8, {n}, torch::kUInt8).to(torch::kLong);
}

void read_cifar(const std::string& path, torch::Tensor* images, torch::Tensor* labels) {
  const std::string b = read_file(path);
  constexpr int64_t kRecord = 1 + 3 * 32 * 32;
  if (b.empty() || static_cast<int64_t>(b.size()) % kRecord != 0)
    throw data_error(path + ": a CIFAR-10 binary file holds records of " + std::to_string(kRecord) +
                     " bytes, but it has " + std::to_string(b.size()) + " bytes");
  const int64_t n = static_cast<int64_t>(b.size()) / kRecord;
  auto all = torch::from_blob(const_cast<char*>(b.data()), {n, kRecord}, torch::kUInt8);
  *labels = all.select(1, 0).to(torch::kLong);
  *images = all.slice(1, 1).reshape({n, 3, 32, 32}).clone();
}

}  // namespace saturn::train
