// JSON Lines data, read, tokenized and packed once. Each line is one record
// (blank lines are skipped): a document, a prompt/completion pair or a chat
// (JsonlSpec), rendered (chat_format.h) and tokenized whole, each id marked
// trained when any of its bytes is in a trained range, the end-of-text token
// after each example (trained when the example's last id is). Records are
// split into train and valid (a seeded choice of whole records), then each
// side is laid out as samples of seq_len + 1 ids, sample i at ids
// [i * stride, i * stride + seq_len + 1):
//   packed (stride seq_len): the examples one after another, the last sample
//     padded; a long example runs on into the next sample (split) or is cut
//     to seq_len + 1 ids (truncate);
//   padded (stride seq_len + 1): one example per sample, padded with the
//     end-of-text id (untrained); a long one is cut (truncate) or becomes
//     several samples overlapping by one id (split).
// mask[p] = 1 when id p is a trained target. The result is cached under
// CACHE/jsonl-KEY.{json,train.u32,train.mask,valid.u32,valid.mask}, KEY
// hashing the file's bytes, the tokenizer's, and every option; a stat key
// (paths, sizes, times) finds it without reading the file. Torch-free.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

#include "core/data_spec.h"

namespace saturn::tok {

struct PackOptions {
  int64_t seq_len = 0;          // a model's context (> 0)
  double valid_fraction = 0;    // of the records held out for validation (0: all train)
  uint64_t seed = 0;            // which records are held out
  bool write = true;            // false: the cache is read, never written (counts in memory)
  std::time_t chat_time = 0;    // what a chat template's strftime_now reads (0: now); a run pins it
};

// A template named by file: a path ending in ".jinja".
inline bool is_template_file(const std::string& name) {
  return name.size() > 6 && name.compare(name.size() - 6, 6, ".jinja") == 0;
}

struct PackedSplit {
  std::string ids_path, mask_path;  // uint32 ids and uint8 flags ("" when not written)
  int64_t records = 0, samples = 0;
  int64_t tokens = 0;               // ids laid out, padding included
  int64_t trained = 0;              // trained targets
};

struct PackedData {
  PackedSplit train, valid;
  int64_t seq_len = 0, stride = 0;
  uint32_t vocab = 0;               // the tokenizer's ids
  int64_t bad_lines = 0;            // skipped (skip_bad_lines)
  std::string first_bad;            // the first skipped line's error
  bool made = false;                // tokenized by this call
};

// A job's options for jsonl source `s` of its data `d`: the train source
// holds out d.valid_fraction of its records (chosen by s.seed) when `d` has
// no valid source; otherwise each source is whole.
PackOptions pack_options(const DataSpec& d, const DataSource& s, int64_t seq_len, bool write);

// Longest line read (a record is one line).
inline constexpr int64_t kMaxJsonlLine = 64ll << 20;

// Throws saturn::Error: NoInput for a missing file or tokenizer; Data for a
// bad record ("FILE:LINE: field: what", unless skip_bad_lines), an empty
// file, no good records, a chat without a known format, a tokenizer without
// an end-of-text token.
PackedData packed_jsonl(const std::string& path, const std::string& tokenizer_path, const JsonlSpec& spec,
                        const PackOptions& o, const std::string& cache_dir);

}  // namespace saturn::tok
