// Tokenizer: a Hugging Face tokenizer.json of the byte-level BPE kind (GPT-2,
// Llama-3, Mistral's newer, Qwen2), encoding as the `tokenizers` library
// does (Tokenizer.encode without post-processing):
//   1. added tokens (special or not) are found first, leftmost and longest,
//      honouring lstrip, rstrip and single_word; they become their own ids;
//   2. the text between them is normalized (none, or NFC), split by the
//      pre-tokenizer (ByteLevel with its regex, or a Split with a known
//      pattern followed by ByteLevel; add_prefix_space honoured);
//   3. each piece's bytes are BPE-merged by merge rank (lowest first, then
//      leftmost); with ignore_merges a piece that is a whole vocabulary entry
//      is that entry. Bytes without a vocabulary entry become unk_token, or
//      are dropped when there is none.
// Merges are read in both stored forms ("a b" strings and [a, b] pairs).
// BPE runs on raw bytes: the vocabulary's byte-level characters are mapped
// back to the bytes they stand for once, at load. What saturn cannot do as
// written (another model type, pre-tokenizer, pattern or normalizer,
// continuing_subword_prefix, dropout) is one Data error naming the file and
// the key. Torch-free; encode keeps a cache of pieces: not thread safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace saturn::tok {

class Tokenizer {
 public:
  // Reads PATH (a tokenizer.json), and PATH's folder's tokenizer_config.json
  // for the end-of-text token when there is one. Throws saturn::Error:
  // NoInput when PATH is missing, Data when it is malformed or unsupported.
  static Tokenizer load(const std::string& path);
  // From the text of a tokenizer.json; `where` names it in errors.
  static Tokenizer parse(const std::string& json, const std::string& where);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Appends the ids of `text` (well-formed UTF-8; a Data error naming the
  // byte otherwise) to `out`; with `ends`, each id's end as a byte offset in
  // `text` (an id covers the bytes after the previous id's end: exact for
  // byte-level ids, the whole normalized run where NFC changed the bytes).
  void encode(std::string_view text, std::vector<uint32_t>& out, std::vector<size_t>* ends = nullptr) const;
  std::vector<uint32_t> encode(std::string_view text) const;
  // The text of `ids` (added tokens as their content); a Data error for an
  // id outside the vocabulary.
  std::string decode(const std::vector<uint32_t>& ids) const;

  // One above the largest id (vocabulary and added tokens).
  uint32_t vocab_size() const;
  // The id of an added token or vocabulary entry with this content.
  std::optional<uint32_t> token_id(const std::string& content) const;
  // The token between documents: tokenizer_config.json's eos_token, else an
  // added token <|endoftext|>, <|end_of_text|> or </s>.
  std::optional<uint32_t> end_of_text() const;
  // The contents of the added tokens marked special, in the file's order.
  std::vector<std::string> special_tokens() const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace saturn::tok
