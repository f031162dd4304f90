// Pre-tokenization: the split of text into the pieces BPE encodes one by
// one, as Hugging Face tokenizers' Split (behavior Isolated) and ByteLevel
// (use_regex) pre-tokenizers do it with the patterns of the models saturn
// reads. Each pattern is matched by hand, alternative by alternative, with
// the regex engine's leftmost-first and backtracking rules:
//   Gpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   Llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//           ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   Qwen2:  Llama3 with \p{N} one digit at a time.
// Torch-free, thread safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace saturn::tok {

enum class SplitPattern { Gpt2, Llama3, Qwen2 };

// The pattern whose regex text (as tokenizer.json stores it) is `regex`.
std::optional<SplitPattern> split_pattern(const std::string& regex);
const std::string& pattern_regex(SplitPattern p);

// The pieces of `text` (well-formed UTF-8), in order; together they are
// the whole text.
std::vector<std::string_view> split(std::string_view text, SplitPattern p);

}  // namespace saturn::tok
