// Which ids end a generated row, and which pads a batch: the tokenizer's
// end-of-text token, generation_config.json's eos_token_id (one or a list)
// and, for a chat, its template's end-of-turn marker; the pad id is
// tokenizer_config.json's pad_token, else generation_config.json's
// pad_token_id, else the first stop id (0 without any). Shared by `saturn
// generate` and task evaluation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace saturn::tok {
class ChatTemplate;
class Tokenizer;
}  // namespace saturn::tok

namespace saturn::train {

struct StopIds {
  std::vector<int64_t> stop;  // sorted, each once
  int64_t pad = 0;
};

// `tokenizer_dir`: tokenizer.json's folder (its tokenizer_config.json);
// `generation_dir`: where generation_config.json may lie ("" : the same).
StopIds stop_ids(const std::string& tokenizer_dir, const std::string& generation_dir, const tok::Tokenizer& t,
                 const tok::ChatTemplate* chat);

}  // namespace saturn::train
