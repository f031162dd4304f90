#include "profile/runtime.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "tokenize/jsonl_data.h"
#include "tokenize/text_tokens.h"

namespace saturn {
namespace {

int64_t file_size(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  if (ec) throw no_input_error(path + ": cannot read the data file: " + ec.message());
  return static_cast<int64_t>(n);
}

// Token windows of a text source: its bytes, or its ids under `tokenizer`
// (as counted, else from the token cache or counted now, writing nothing).
int64_t text_tokens(const Workload& w, const DataSource& s, const std::string& tokenizer, const TextTokenCounts& counted) {
  if (!tokenizer.empty()) {
    if (auto it = counted.find(text_count_key(w.resolve(s.path), w.resolve(tokenizer))); it != counted.end()) return it->second;
    return static_cast<int64_t>(tok::count_text_tokens(w.resolve(s.path), w.resolve(tokenizer), tok::default_token_cache()).count);
  }
  int64_t n = 0;
  for (const auto& doc : tok::text_documents(w.resolve(s.path))) n += file_size(doc);
  return n;
}

int64_t source_samples(const Workload& w, const DataSource& s, const std::string& tokenizer, int64_t seq_len,
                       const TextTokenCounts& counted) {
  switch (s.format) {
    case DataFormat::Synthetic: return s.samples;
    case DataFormat::Text: return std::max<int64_t>(0, (text_tokens(w, s, tokenizer, counted) - 1) / seq_len);
    case DataFormat::Tokens:
      return std::max<int64_t>(0, (file_size(w.resolve(s.path)) / s.token_bytes - 1) / seq_len);
    case DataFormat::Cifar: return file_size(w.resolve(s.path)) / (1 + 3 * 32 * 32);
    case DataFormat::Jsonl: return 0;  // (train_samples: packed by record)
    case DataFormat::Idx: {
      std::ifstream in(w.resolve(s.path), std::ios::binary);
      unsigned char h[8] = {};
      if (!in.read(reinterpret_cast<char*>(h), 8)) throw no_input_error(w.resolve(s.path) + ": cannot read the idx header");
      return (int64_t(h[4]) << 24) | (int64_t(h[5]) << 16) | (int64_t(h[6]) << 8) | int64_t(h[7]);
    }
  }
  return 0;
}

}  // namespace

std::string text_count_key(const std::string& text, const std::string& tokenizer) { return "text|" + text + "|" + tokenizer; }

std::string jsonl_count_key(const Workload& w, const DataSpec& d, int64_t seq_len) {
  return "jsonl|" + w.resolve(d.train.path) + "|" + w.resolve(d.tokenizer) + "|" + std::to_string(seq_len) + "|" +
         (d.valid ? "whole" : std::to_string(d.valid_fraction)) + "|" + std::to_string(d.train.seed) + "|" +
         canonical(d.train.jsonl);
}

int64_t train_samples(const Workload& w, const Job& job, const TextTokenCounts& counted) {
  const ModelSpec& m = w.models[job.model];
  const DataSpec d = w.data_for(m);
  const int64_t seq = job.config.has("seq_len") ? job.config.integer("seq_len") : 1;
  if (d.train.format == DataFormat::Jsonl) {  // records held out already
    if (auto it = counted.find(jsonl_count_key(w, d, seq)); it != counted.end()) return it->second;
    return tok::packed_jsonl(w.resolve(d.train.path), w.resolve(d.tokenizer), d.train.jsonl,
                             tok::pack_options(d, d.train, seq, false), tok::default_token_cache())
        .train.samples;
  }
  const int64_t n = source_samples(w, d.train, d.tokenizer, seq, counted);
  return d.valid ? n : n - held_out(n, d.valid_fraction);
}

int64_t job_steps(const Workload& w, const Job& job, const TextTokenCounts& counted) {
  if (w.train.steps > 0) return w.train.steps;
  return static_cast<int64_t>(std::ceil(w.train.epochs * static_cast<double>(train_samples(w, job, counted)) /
                                        static_cast<double>(job.hp.batch_size)));
}

JobRuntime job_runtime(const Workload& w, int64_t steps, const ProfileEntry& e, double state_bytes,
                       const RuntimeOptions& o) {
  JobRuntime r;
  r.steps = steps;
  r.train_s = e.step_time * static_cast<double>(r.steps);
  r.startup_s = e.startup;
  const int64_t evals = 1 + (w.train.eval_every > 0 ? (r.steps - 1) / w.train.eval_every : 0);
  r.eval_s = static_cast<double>(evals * w.train.eval_batches) * e.step_time / 3.0;
  // The last one, plus one per checkpoint_every steps or per checkpoint
  // interval of training (checkpoint_seconds, or 50 checkpoint writes when
  // that is longer, as the training loop does).
  const double one = state_bytes / o.disk_bandwidth;
  int64_t ckpts = 1 + (w.train.checkpoint_every > 0 ? (r.steps - 1) / w.train.checkpoint_every : 0);
  if (w.train.checkpoint_seconds > 0)
    ckpts += static_cast<int64_t>(std::floor((r.train_s + r.eval_s) / checkpoint_interval(w.train, one)));
  r.checkpoint_s = static_cast<double>(ckpts) * one;
  return r;
}

}  // namespace saturn
