// StreamHash (core/stream_hash.h): checkpoints' checksum. Its value must not
// depend on how the stream is cut, must change with any byte, and must never
// change between releases (old checkpoints are checked against it).
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "core/stream_hash.h"

using saturn::StreamHash;

namespace {
std::string hash_in_pieces(const std::string& data, std::mt19937& rng) {
  StreamHash h;
  for (size_t at = 0; at < data.size();) {
    const size_t n = std::min<size_t>(data.size() - at, std::uniform_int_distribution<size_t>(0, 100)(rng));
    h.update(data.data() + at, n);
    at += n;
  }
  REQUIRE(h.bytes() == data.size());
  return h.hex();
}
}  // namespace

TEST_CASE("stream hash: the same however the stream is cut, another for any changed byte, pinned values") {
  std::mt19937 rng(7);
  std::string data(10007, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  StreamHash whole;
  whole.update(data.data(), data.size());
  for (int i = 0; i < 20; ++i) CHECK(hash_in_pieces(data, rng) == whole.hex());
  for (size_t at : {size_t(0), size_t(31), size_t(32), size_t(5000), data.size() - 1}) {
    std::string other = data;
    other[at] = static_cast<char>(other[at] ^ 1);
    StreamHash h;
    h.update(other.data(), other.size());
    CHECK(h.hex() != whole.hex());
  }
  StreamHash longer;  // a zero byte more is another stream
  longer.update(data.data(), data.size());
  longer.update("", 1);
  CHECK(longer.hex() != whole.hex());
  // Pinned: a checkpoint written by this release must verify in the next.
  CHECK(StreamHash().hex() == std::string("9ebab81a7dba45a1"));
  StreamHash abc;
  abc.update("saturn checkpoints", 18);
  CHECK(abc.hex() == std::string("16daf94c43465649"));
}
