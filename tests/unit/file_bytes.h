// Test helpers: a file's bytes, and a file of little-endian uint32 ids.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace saturn::test {

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline std::vector<uint32_t> read_u32(const std::filesystem::path& p) {
  const std::string b = slurp(p);
  std::vector<uint32_t> out(b.size() / 4);
  for (size_t i = 0; i < out.size(); ++i)
    for (size_t k = 0; k < 4; ++k) out[i] |= static_cast<uint32_t>(static_cast<unsigned char>(b[4 * i + k])) << (8 * k);
  return out;
}

}  // namespace saturn::test
