// Chats rendered by a Jinja chat template (jinja/template.h) as
// transformers' apply_chat_template renders them (add_generation_prompt
// false; the special tokens of tokenizer_config.json as bos_token,
// eos_token, ...; tools when the record or the workload has them), and the
// bytes the loss is on:
//   - a template with {% generation %} blocks: what they write;
//   - otherwise, for each assistant message: from the first byte written
//     from its content (or tool calls, or reasoning) through the first
//     end-of-turn marker after its last such byte (a special token of the
//     tokenizer, or its eos_token), before anything of a later message.
// Strings of a message's content carry its index through the template's
// operations (jinja/value.h), so trimming or splitting content keeps track.
// Torch-free.
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenize/chat_format.h"

namespace saturn::jinja {
class Template;
}

namespace saturn::tok {

class Tokenizer;

// What a template sees besides the chat, and what ends a turn.
struct ChatTokens {
  std::vector<std::pair<std::string, std::string>> named;  // bos_token, eos_token, unk_token, pad_token, ... -> content
  std::vector<std::string> additional;                      // additional_special_tokens
  std::vector<std::string> markers;                         // end-of-turn candidates: special tokens and eos_token
};

// tokenizer_config.json's special tokens (strings or {"content": ...}) and
// the tokenizer's special added tokens.
ChatTokens chat_tokens(const std::string& config_bytes, const Tokenizer& t);

// A template's text and where it came from (error lines start with `origin`).
struct TemplateSource {
  std::string text, origin;
  std::vector<std::string> markers;  // end-of-turn markers it writes that the tokenizer may not mark special
};

// The folder's own template: tokenizer_config.json's chat_template (a
// string, or a list of {name, template}: "default", else the only one),
// else chat_template.jinja; nullopt when neither has one.
std::optional<TemplateSource> folder_template(const std::string& dir, const std::string& config_bytes,
                                              const std::string& jinja_bytes);

// The built-in templates: "chatml" and "llama3" (chat_format.h); nullopt for other names.
std::optional<TemplateSource> builtin_template(const std::string& name);

class ChatTemplate {
 public:
  // Throws saturn::Error (Data): "ORIGIN:LINE:COL: what" for a template that does not parse.
  ChatTemplate(const TemplateSource& source, ChatTokens tokens, std::time_t now);
  ~ChatTemplate();
  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;

  // messages: a list of objects; tools: a list, or null. Throws
  // std::runtime_error "ORIGIN:LINE:COL: what" when the template refuses
  // the chat (raise_exception, a type error, a sandbox limit).
  // add_generation_prompt: what the template writes to open the assistant's
  // turn (for generation); trained ranges are as without it.
  Rendered render(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools,
                  bool add_generation_prompt = false) const;

  // The end-of-turn marker the template writes after an assistant's
  // content (the first special token or eos_token after it in a short
  // chat: "<|im_end|>", "<|eot_id|>"), or "" when it writes none or
  // refuses such a chat.
  std::string end_of_turn() const;

 private:
  std::unique_ptr<jinja::Template> t_;
  std::string origin_;
  ChatTokens tokens_;
  std::time_t now_;
};

// The template chats of a tokenizer folder are rendered by, as training
// renders them: `name` "" (the folder's own; nullptr when it has none),
// "chatml", "llama3", a FILE.jinja; nullptr for "none" or a {prompt} text.
// Throws saturn::Error (NoInput: a FILE.jinja missing; Data: a template
// that does not parse).
std::unique_ptr<ChatTemplate> load_chat_template(const std::string& tokenizer_dir, const std::string& name,
                                                 const Tokenizer& t, std::time_t now);

}  // namespace saturn::tok
