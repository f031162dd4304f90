#include "app/text_data.h"

#include <map>
#include <set>
#include <string>

#include "core/error.h"
#include "tokenize/eval_records.h"
#include "tokenize/jsonl_data.h"
#include "tokenize/text_tokens.h"

namespace saturn {

PreparedData prepare_text_data(const Workload& w, const JobSet& jobs, bool write_cache) {
  // The eval: tasks' records, checked before any work (the workers score them).
  for (const EvalTask& t : w.train.eval) tok::read_eval_records(t);
  for (const ModelSpec& m : w.models)
    if (!w.train.eval.empty() && w.data_for(m).tokenizer.empty())
      throw data_error("eval: model " + m.name + " has no tokenizer to score tasks with (data.tokenizer, or a model "
                       "folder with tokenizer.json)");
  PreparedData out;
  std::map<std::string, uint32_t> vocab_of;  // a source (at a seq_len) -> its tokenizer's ids
  std::set<std::string> warned;
  const std::string cache = tok::default_token_cache();
  for (const Job& job : jobs.jobs) {
    const ModelSpec& m = w.models[job.model];
    const DataSpec d = w.data_for(m);
    if (d.tokenizer.empty()) continue;
    const int64_t seq = job.config.has("seq_len") ? job.config.integer("seq_len") : 1;
    for (const DataSource* s : {&d.train, d.valid ? &*d.valid : nullptr}) {
      if (!s || (s->format != DataFormat::Text && s->format != DataFormat::Jsonl)) continue;
      const std::string path = w.resolve(s->path), tokenizer = w.resolve(d.tokenizer);
      const bool jsonl = s->format == DataFormat::Jsonl;
      std::string key = text_count_key(path, tokenizer);
      if (jsonl)  // (a valid source's samples count toward no steps: its key only remembers it was packed)
        key = s == &d.train ? jsonl_count_key(w, d, seq)
                            : "valid|" + key + "|" + std::to_string(seq) + "|" + std::to_string(s->seed) + "|" + canonical(s->jsonl);
      auto it = vocab_of.find(key);
      if (it == vocab_of.end()) {
        uint32_t vocab = 0;
        if (jsonl) {
          const tok::PackedData p =
              tok::packed_jsonl(path, tokenizer, s->jsonl, tok::pack_options(d, *s, seq, write_cache), cache);
          out.counts[key] = p.train.samples;
          vocab = p.vocab;
          if (p.bad_lines > 0 && warned.insert(path).second)
            out.warnings.push_back(s->path + ": skipped " + std::to_string(p.bad_lines) + " bad line" +
                                   (p.bad_lines > 1 ? "s" : "") + " (skip_bad_lines); the first: " + p.first_bad);
        } else {
          const tok::TextTokens t = write_cache ? tok::text_tokens(path, tokenizer, cache)
                                                : tok::count_text_tokens(path, tokenizer, cache);
          out.counts[key] = static_cast<int64_t>(t.count);
          vocab = t.vocab;
        }
        it = vocab_of.emplace(key, vocab).first;
      }
      const int64_t vocab = job.config.integer("vocab");
      if (static_cast<int64_t>(it->second) > vocab)
        throw data_error("models[" + std::to_string(job.model) + "] " + m.name + ": the tokenizer " + d.tokenizer + " has " +
                         std::to_string(it->second) + " ids, more than its vocab (" + std::to_string(vocab) + ")");
    }
  }
  return out;
}

}  // namespace saturn
