// DataSpec: where a job's training and validation samples come from. Paths
// are kept as written in the workload (relative to the workload file's
// folder); Workload::resolve() makes them absolute. Plain value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "arch.h"

namespace saturn {

enum class DataFormat {
  Text,       // UTF-8 text (a file, or a folder of files): bytes, or a tokenizer's ids
  Tokens,     // flat little-endian uint16 or uint32 token ids
  Synthetic,  // seeded random samples of the model's input shape
  Idx,        // MNIST-style idx image + label files
  Cifar,      // CIFAR-10 binary batches (label byte + 3072 pixel bytes)
  Jsonl,      // records (JSON Lines, a JSON array, CSV, parquet, Arrow: JsonlSpec::reader): documents, pairs or chats
};

const char* data_format_name(DataFormat f);  // "text", "tokens", ...
std::vector<std::string> data_format_names();
// Tokens for text/tokens, Images for idx/cifar, Any for synthetic.
Modality data_modality(DataFormat f);

// How records become training examples (formats jsonl, json, csv, parquet, arrow).
struct JsonlSpec {
  // The record keys read: `text` (documents); `prompt` (with `input`
  // appended after a blank line when non-empty) and `completion`; or
  // `messages` (a list of {role, content}). All empty: found from the first
  // record (messages, ShareGPT's conversations, prompt/completion,
  // instruction/input/output, text).
  std::string text, prompt, input, completion, messages;
  // Chats: the keys of a message's role and content, and role names mapped
  // to the template's (user, assistant, system, tool). Empty: found from the
  // first record (role/content, or ShareGPT's from/value with human, gpt,
  // system, tool and observation).
  std::string role, content;
  std::vector<std::pair<std::string, std::string>> roles;
  // How the file is read: "jsonl" (a record per line), "json" (an array of
  // records), "csv" (RFC 4180, a header row; every field a string),
  // "parquet", "arrow" (Arrow IPC: a datasets save_to_disk folder's files).
  // The path may name several files (core/data_files.h).
  std::string reader = "jsonl";
  // data.tools: a JSON file (absolute once parsed) holding the list of tool
  // definitions a chat template gets for a record without its own `tools`;
  // "" for none.
  std::string tools;
  // "" (the tokenizer folder's own chat template: chats need one; pairs
  // without one are rendered plainly), "none", "chatml", "llama3", a
  // FILE.jinja (absolute once parsed), or a text with one {prompt} before
  // one {completion}.
  std::string chat_template;
  bool packing = true;         // examples packed into full sequences; false: one per sequence, padded
  bool split_long = true;      // long_examples: split (true) or truncate at seq_len
  bool skip_bad_lines = false; // count and report bad records instead of refusing the file

  bool operator==(const JsonlSpec&) const = default;
};

struct DataSource {
  DataFormat format = DataFormat::Synthetic;
  std::string path;      // text (a file or a folder), tokens, cifar; for idx, the images file
  std::string labels;    // idx only: the labels file
  int64_t samples = 0;   // synthetic only: samples in the set (> 0)
  int64_t seed = 0;      // synthetic only
  // Synthetic images: the standard deviation of each pixel's noise over its
  // class pattern (unit variance). At 1 small models reach loss 0; 3-4
  // leaves a floor the learning rate and the model decide how near to come.
  double noise = 1.0;
  int64_t token_bytes = 2;  // tokens only: 2 (uint16) or 4 (uint32) per id
  JsonlSpec jsonl;          // jsonl only

  bool operator==(const DataSource&) const = default;
};

struct DataSpec {
  DataSource train;
  std::optional<DataSource> valid;   // absent: the last valid_fraction of train
  double valid_fraction = 0.1;       // in [0, 0.5]; used only without `valid`
  // Text and jsonl sources: a Hugging Face tokenizer.json; empty: bytes (or,
  // in Workload::data_for, the model folder's tokenizer.json when it has
  // one; jsonl needs one).
  std::string tokenizer;
  // What chat templates' strftime_now reads, in seconds since the epoch (0:
  // the moment of tokenizing). `saturn run` pins it once per run directory
  // (Workload::pin_chat_time), so a resumed run renders the same text; not
  // part of canonical().
  int64_t chat_time = 0;

  bool operator==(const DataSpec&) const = default;
};

// Samples held out for validation from n when there is no valid source: a
// fraction of n, at least one when the fraction is above zero and n >= 2,
// never all. The engine's split and the profiler's step counts both use it.
int64_t held_out(int64_t n, double fraction);

// "format:path|..." canonical text for hashing.
std::string canonical(const DataSpec& d);
std::string canonical(const JsonlSpec& j);

}  // namespace saturn
