// EpochSampler: the order samples are drawn in: each epoch a fresh seeded
// permutation of the set, so a position (samples drawn so far) names the
// next sample exactly. Checkpoints store the position; resuming there draws
// the same samples as an uninterrupted run. Not thread safe (caches one
// epoch's permutation).
#pragma once

#include <cstdint>
#include <vector>

namespace saturn::train {

class EpochSampler {
 public:
  EpochSampler(int64_t size, uint64_t seed) : size_(size), seed_(seed) {}

  // The sample at position `pos` (0-based over all epochs).
  int64_t at(int64_t pos);
  int64_t size() const { return size_; }

 private:
  int64_t size_;
  uint64_t seed_;
  int64_t epoch_ = -1;
  std::vector<int64_t> perm_;
};

// SplitMix64: a fast, well-mixed 64-bit hash, for seeding per sample.
uint64_t mix64(uint64_t x);

}  // namespace saturn::train
