// Records as the text a model trains on, and which bytes of it the loss is
// on, for what needs no chat template: documents, and prompt/completion
// pairs rendered plainly or by a {prompt}/{completion} text (chats, and
// pairs under a chat template: chat_template.h). Torch-free, pure.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace saturn::tok {

// A record as text, with the byte ranges [begin, end) the loss is on.
struct Rendered {
  std::string text;
  std::vector<std::pair<size_t, size_t>> trained;
};

// A prompt/completion pair under `templ`: "none" or "" (prompt then
// completion, the completion trained), or a text whose {prompt} and
// {completion} are replaced (trained from the completion to the end).
Rendered render_pair(const std::string& prompt, const std::string& completion, const std::string& templ);

// A document: all of it trained.
Rendered render_text(std::string text);

}  // namespace saturn::tok
