#include "app/text_data.h"

#include <map>
#include <string>
#include <utility>

#include "core/error.h"
#include "tokenize/text_tokens.h"

namespace saturn {

TextTokenCounts prepare_text_data(const Workload& w, const JobSet& jobs, bool write_cache) {
  TextTokenCounts counted;
  std::map<std::pair<std::string, std::string>, uint32_t> vocab_of;  // (text, tokenizer) -> the tokenizer's ids
  for (const Job& job : jobs.jobs) {
    const ModelSpec& m = w.models[job.model];
    const DataSpec d = w.data_for(m);
    if (d.tokenizer.empty()) continue;
    for (const DataSource* s : {&d.train, d.valid ? &*d.valid : nullptr}) {
      if (!s || s->format != DataFormat::Text) continue;
      const auto key = std::make_pair(w.resolve(s->path), w.resolve(d.tokenizer));
      auto it = vocab_of.find(key);
      if (it == vocab_of.end()) {
        const std::string cache = tok::default_token_cache();
        const tok::TextTokens t = write_cache ? tok::text_tokens(key.first, key.second, cache)
                                              : tok::count_text_tokens(key.first, key.second, cache);
        counted[key] = static_cast<int64_t>(t.count);
        it = vocab_of.emplace(key, t.vocab).first;
      }
      const int64_t vocab = job.config.integer("vocab");
      if (static_cast<int64_t>(it->second) > vocab)
        throw data_error("models[" + std::to_string(job.model) + "] " + m.name + ": the tokenizer " + d.tokenizer + " has " +
                         std::to_string(it->second) + " ids, more than its vocab (" + std::to_string(vocab) + ")");
    }
  }
  return counted;
}

}  // namespace saturn
