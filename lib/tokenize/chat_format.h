// Chat formats: how a conversation or a prompt/completion pair becomes the
// text a model trains on, and which bytes of it the loss is on. The
// built-in formats render exactly as these Jinja templates do under
// transformers' apply_chat_template (no generation prompt):
//   chatml:  {% for m in messages %}{{'<|im_start|>' + m['role'] + '\n' +
//            m['content'] + '<|im_end|>' + '\n'}}{% endfor %}
//   llama3:  bos_token (<|begin_of_text|>), then per message
//            '<|start_header_id|>' + role + '<|end_header_id|>\n\n' +
//            content | trim + '<|eot_id|>'
// The loss is on each assistant message's content and the end-of-turn token
// after it (<|im_end|>, <|eot_id|>); a pair is a user turn and an assistant
// turn. Torch-free, pure.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace saturn::tok {

struct Message {
  std::string role, content;
};

// A record as text, with the byte ranges [begin, end) the loss is on.
struct Rendered {
  std::string text;
  std::vector<std::pair<size_t, size_t>> trained;
};

enum class ChatFormat { ChatML, Llama3 };

// "chatml" or "llama3"; nullopt for anything else.
std::optional<ChatFormat> chat_format_named(const std::string& name);
// The format a tokenizer_config.json chat_template writes: ChatML where it
// has <|im_start|>, Llama3 where it has <|start_header_id|>; nullopt else.
std::optional<ChatFormat> chat_format_of_template(const std::string& jinja);

Rendered render_chat(const std::vector<Message>& messages, ChatFormat f);

// A prompt/completion pair under `templ`: "none" or "" (prompt then
// completion, the completion trained), "chatml"/"llama3" (a user and an
// assistant turn), or a text whose {prompt} and {completion} are replaced
// (trained from the completion to the end).
Rendered render_pair(const std::string& prompt, const std::string& completion, const std::string& templ);

// A document: all of it trained.
Rendered render_text(std::string text);

}  // namespace saturn::tok
