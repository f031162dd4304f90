// Text tokenized once. The ids of a text source (a file, or each regular
// file of a folder in name order: one document each, the tokenizer's
// end-of-text token between documents) under a tokenizer.json are cached as
// little-endian uint32 in CACHE/KEY.u32, with CACHE/KEY.json describing them
// (tokens, vocab, the source and tokenizer paths); KEY hashes the texts'
// bytes, the tokenizer file's bytes and the end-of-text id, so a grid of
// jobs on one text tokenizes it once, and an edited file or tokenizer is
// tokenized again. CACHE/stat-HASH.key maps the files' paths, sizes and
// modification times to KEY, so asking again about unchanged files reads
// none of them. The files are written atomically (a reader sees whole
// files or none); two processes making the same entry write the same bytes.
// Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace saturn::tok {

struct TextTokens {
  std::string path;        // CACHE/KEY.u32 ("" from count_text_tokens when it was not cached)
  uint64_t count = 0;      // ids in it
  uint32_t vocab = 0;      // the tokenizer's vocab_size
  bool made = false;       // tokenized by this call (false: found in the cache)
};

// Throws saturn::Error: NoInput for a missing text or tokenizer, Data for
// text that is not UTF-8 (naming the file and the byte), a malformed
// tokenizer, or several documents and no end-of-text token.
TextTokens text_tokens(const std::string& text_path, const std::string& tokenizer_path, const std::string& cache_dir);

// The same, writing nothing (for checks and dry runs): the cache entry when
// there is one, else the ids counted in memory (`path` empty, `made` true).
TextTokens count_text_tokens(const std::string& text_path, const std::string& tokenizer_path, const std::string& cache_dir);

// The documents of a text source: the file itself, or a folder's regular
// files (recursively, in path order). NoInput when there are none.
std::vector<std::string> text_documents(const std::string& path);

// $XDG_CACHE_HOME/saturn/tokens, else $HOME/.cache/saturn/tokens (next to
// the default profile store).
std::string default_token_cache();

}  // namespace saturn::tok
