// libFuzzer target for the tokenizers. An input whose first byte is even is
// a tokenizer.json: it must load or fail with one saturn::Error line, and
// what loads must encode a fixed mixed text to ids below its vocab_size.
// Otherwise the rest is text for a fixed Llama-3-style tokenizer (with an
// added token): well-formed UTF-8 must encode and decode back to itself, and
// every pattern's pieces must cover it exactly; anything else is one Data
// error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenize/pretokenize.h"
#include "tokenize/tokenizer.h"
#include "tokenize/unicode.h"

namespace {

using saturn::tok::Tokenizer;

// The 256 byte-level tokens, three merges and an added token.
std::string fixed_json() {
  nlohmann::json vocab = nlohmann::json::object();
  std::string chars[256];
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    saturn::tok::append_utf8(chars[b], printable ? static_cast<char32_t>(b) : next++);
    vocab[chars[b]] = b;
  }
  const std::string sp = chars[static_cast<unsigned char>(' ')];
  vocab[sp + "t"] = 256;
  vocab["he"] = 257;
  vocab[sp + "the"] = 258;
  nlohmann::json split = {{"type", "Split"},
                          {"pattern", {{"Regex", saturn::tok::pattern_regex(saturn::tok::SplitPattern::Llama3)}}},
                          {"behavior", "Isolated"},
                          {"invert", false}};
  nlohmann::json j = {
      {"added_tokens", nlohmann::json::array({{{"id", 259}, {"content", "<|eot|>"}, {"special", true}}})},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers", {split, {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}}},
      {"model",
       {{"type", "BPE"}, {"ignore_merges", true}, {"vocab", vocab},
        {"merges", nlohmann::json::array({nlohmann::json::array({sp, "t"}), nlohmann::json::array({"h", "e"}),
                                          nlohmann::json::array({sp + "t", "he"})})}}}};
  return j.dump();
}

void one_line(const saturn::Error& e) {
  const std::string m = e.what();
  if (m.empty() || m.find('\n') != std::string::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    try {
      const Tokenizer t = Tokenizer::parse(rest, "fuzz.json");
      for (uint32_t id : t.encode("Hello, wörld! 12345 \r\n\t  <|eot|> 👍🏽 ünïcode's"))
        if (id >= t.vocab_size()) std::abort();
    } catch (const saturn::Error& e) {
      one_line(e);
    }
    return 0;
  }
  static const Tokenizer fixed = Tokenizer::parse(fixed_json(), "fixed.json");
  try {
    const auto ids = fixed.encode(rest);
    if (fixed.decode(ids) != rest) std::abort();
  } catch (const saturn::Error& e) {
    one_line(e);
    if (saturn::tok::invalid_utf8(rest) == std::string::npos) std::abort();  // valid text never fails
    return 0;
  }
  for (auto p : {saturn::tok::SplitPattern::Gpt2, saturn::tok::SplitPattern::Llama3, saturn::tok::SplitPattern::Qwen2}) {
    std::string joined;
    for (auto piece : saturn::tok::split(rest, p)) {
      if (piece.empty()) std::abort();
      joined += piece;
    }
    if (joined != rest) std::abort();
  }
  return 0;
}
