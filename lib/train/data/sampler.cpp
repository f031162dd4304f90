#include "train/data/sampler.h"

#include <numeric>

namespace saturn::train {

uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

int64_t EpochSampler::at(int64_t pos) {
  const int64_t epoch = pos / size_;
  if (epoch != epoch_) {
    // Fisher-Yates with our own generator, so the order is the same on every
    // platform and standard library.
    perm_.resize(static_cast<size_t>(size_));
    std::iota(perm_.begin(), perm_.end(), 0);
    uint64_t state = mix64(seed_ ^ mix64(static_cast<uint64_t>(epoch) + 1));
    for (int64_t i = size_ - 1; i > 0; --i) {
      state = mix64(state);
      const auto j = static_cast<int64_t>((static_cast<unsigned __int128>(state) * static_cast<uint64_t>(i + 1)) >> 64);
      std::swap(perm_[static_cast<size_t>(i)], perm_[static_cast<size_t>(j)]);
    }
    epoch_ = epoch;
  }
  return perm_[static_cast<size_t>(pos % size_)];
}

}  // namespace saturn::train
