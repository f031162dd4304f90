// Generation from text: prompts tokenized with the model's tokenizer (the
// text's own ids, no special tokens added, as saturn tokenizes training
// text) or, for chats, rendered as one user turn by the model's chat
// template with its generation prompt (add_generation_prompt, as
// apply_chat_template gives it); generate.h continues them as one batch;
// each continuation decoded. A row stops at the tokenizer's end-of-text
// token, generation_config.json's eos_token_id (one or a list) and, for
// chats, the template's end-of-turn marker; the pad id is
// tokenizer_config.json's pad_token, else generation_config.json's
// pad_token_id, else the first stop id. The model is a folder or a trained
// job (model_source.h, trained_model.h). Torch-free header: what `saturn
// generate` calls.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "train/trained_job.h"

namespace saturn::train {

struct TextRequest {
  std::string model_dir;              // a model or adapter folder, or
  std::string base_dir;               //   (an adapter folder's base, "" for its own base_model_name_or_path)
  std::optional<TrainedJob> job;      // a trained job's newest checkpoint
  std::vector<std::string> prompts;   // at least one
  bool chat = false;                  // each prompt a user's turn of the chat template
  std::string device = "cpu";         // cpu, cuda or cuda:N
  int threads = 0;                    // > 0: intra-op threads (cpu)
  int64_t max_new_tokens = 128;
  double temperature = 0;             // 0: greedy
  double top_p = 1;
  uint64_t seed = 0;
};

struct Continuation {
  std::string prompt;         // as given
  std::vector<int64_t> ids;   // the new ids, the stop id last when one ended it
  std::string text;           // the new ids decoded, without a final stop id
  int64_t prompt_tokens = 0;
};

struct TextResult {
  std::vector<Continuation> rows;  // one per prompt, in order
  int64_t step = 0;                // a trained job's checkpoint step (0 for a folder)
  double seconds = 0;              // tokenizing, generating and decoding (not loading)
};

// `on_bytes(i, text)`: the newly decoded bytes of prompt i as each token is
// chosen (what a terminal streams). Throws saturn::Error: NoInput (a folder,
// file or tokenizer missing), Data (a model, adapter or chat template
// saturn cannot run; a chat without a template), Usage (an empty prompt, a
// bad device), Unavailable (CUDA where there is none).
TextResult generate_text(const TextRequest& r,
                         const std::function<void(size_t, const std::string&)>& on_bytes = nullptr);

}  // namespace saturn::train
