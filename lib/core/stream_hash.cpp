#include "core/stream_hash.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace saturn {
namespace {

constexpr uint64_t kPrime1 = 0x9e3779b185ebca87ull, kPrime2 = 0xc2b2ae3d27d4eb4full;

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline uint64_t load64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];  // little-endian on every host
  return v;
}

inline uint64_t fold(uint64_t h) {
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime1;
  return h ^ (h >> 32);
}

}  // namespace

StreamHash::StreamHash() : lane_{kPrime1, kPrime2, ~kPrime1, ~kPrime2}, tail_{} {}

void StreamHash::block(const unsigned char* p) {
  for (int l = 0; l < 4; ++l) lane_[l] = rotl((lane_[l] ^ load64(p + 8 * l)) * kPrime1, 31);
}

void StreamHash::update(const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  total_ += n;
  if (tail_n_ > 0) {
    const size_t take = std::min(n, sizeof tail_ - tail_n_);
    std::memcpy(tail_ + tail_n_, p, take);
    tail_n_ += take;
    p += take;
    n -= take;
    if (tail_n_ < sizeof tail_) return;
    block(tail_);
    tail_n_ = 0;
  }
  for (; n >= 32; p += 32, n -= 32) block(p);
  std::memcpy(tail_, p, n);
  tail_n_ = n;
}

std::string StreamHash::hex() const {
  uint64_t h = total_ * kPrime2;
  for (int l = 0; l < 4; ++l) h = rotl(h ^ fold(lane_[l]), 27) * kPrime1;
  for (size_t i = 0; i < tail_n_; ++i) h = rotl(h ^ (tail_[i] * kPrime2), 11) * kPrime1;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fold(h)));
  return buf;
}

}  // namespace saturn
