#include "tokenize/examples.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/file.h"
#include "tokenize/cache_files.h"
#include "tokenize/chat_template.h"
#include "tokenize/jsonl_data.h"
#include "tokenize/tokenizer.h"

namespace saturn::tok {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
namespace {

// The record keys, from the spec or from the first record.
JsonlSpec fields_of(const JsonlSpec& spec, const json& first, const std::string& where) {
  JsonlSpec j = spec;
  if (j.text.empty() && j.prompt.empty() && j.messages.empty()) {
    if (first.contains("messages")) j.messages = "messages";
    else if (first.contains("conversations")) j.messages = "conversations";  // ShareGPT
    else if (first.contains("prompt") && first.contains("completion")) j.prompt = "prompt", j.completion = "completion";
    else if (first.contains("instruction") && first.contains("output"))
      j.prompt = "instruction", j.input = "input", j.completion = "output";
    else if (first.contains("text")) j.text = "text";
    else
      throw data_error(where + ": no known fields (text; prompt and completion; instruction and output; messages; "
                       "conversations): name them in fields");
  }
  if (!j.messages.empty() && (j.role.empty() || j.content.empty())) {
    // A message's keys from the first record's first message: ShareGPT's
    // from/value (with its role names), else role/content.
    const json* m0 = nullptr;
    if (auto it = first.find(j.messages); it != first.end() && it->is_array() && !it->empty() && (*it)[0].is_object())
      m0 = &(*it)[0];
    const bool sharegpt = m0 && m0->contains("from") && m0->contains("value") && !m0->contains("role");
    if (j.role.empty()) j.role = sharegpt ? "from" : "role";
    if (j.content.empty()) j.content = sharegpt ? "value" : "content";
    if (sharegpt && j.roles.empty())
      j.roles = {{"human", "user"}, {"gpt", "assistant"}, {"system", "system"}, {"tool", "tool"},
                 {"observation", "tool"}, {"function_call", "assistant"}};
  }
  return j;
}

std::string kind_of(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "true or false";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "a list";
  return "an object";
}

const std::string& string_field(const json& o, const std::string& key, const std::string& name) {
  auto it = o.find(key);
  if (it == o.end()) throw BadRecord(name + ": missing");
  if (!it->is_string()) throw BadRecord(name + ": expected a string, got " + kind_of(*it));
  return it->get_ref<const std::string&>();
}

// A record's message as the template sees it: role (mapped by fields.roles)
// and content under their own names, its other keys as they are. Its
// content: a string, a list of parts, or (with tool calls) null.
json message_of(const json& m, const JsonlSpec& j, const std::string& at) {
  if (!m.is_object()) throw BadRecord(at + ": expected an object, got " + kind_of(m));
  std::string role = string_field(m, j.role, at + "." + j.role);
  if (!j.roles.empty()) {
    auto to = std::find_if(j.roles.begin(), j.roles.end(), [&](const auto& r) { return r.first == role; });
    if (to == j.roles.end()) {
      std::string known;
      for (const auto& r : j.roles) known += (known.empty() ? "" : ", ") + r.first;
      throw BadRecord(at + "." + j.role + ": \"" + role + "\" is not a role the data's names map (" + known +
                        "): map it in fields.roles");
    }
    role = to->second;
  }
  auto c = m.find(j.content);
  const bool calls = m.contains("tool_calls") && m["tool_calls"].is_array() && !m["tool_calls"].empty();
  if (c == m.end() || c->is_null()) {
    if (!calls) throw BadRecord(at + "." + j.content + ": missing");
  } else if (!c->is_string() && !c->is_array()) {
    throw BadRecord(at + "." + j.content + ": expected a string or a list of parts, got " + kind_of(*c));
  }
  json out = json::object();
  out["role"] = role;
  if (c != m.end()) out["content"] = *c;
  for (const auto& [k, v] : m.items())
    if (k != j.role && k != j.content && k != "role" && k != "content") out[k] = v;
  return out;
}

json chat_of(const std::string& prompt, const std::string& completion) {
  json ms = json::array();
  ms.push_back({{"role", "user"}, {"content", prompt}});
  ms.push_back({{"role", "assistant"}, {"content", completion}});
  return ms;
}

Rendered render_with(const ChatTemplate& chat, const json& messages, const json& tools) {
  try {
    return chat.render(messages, tools);
  } catch (const std::runtime_error& e) {
    throw BadRecord(e.what());
  }
}

// One record as text and trained ranges; errors are "field: what". `chat`:
// the template chats (and prompt/completion pairs, when set) are rendered by.
Rendered render(const json& r, const JsonlSpec& j, const ChatTemplate* chat, const json& default_tools) {
  if (!r.is_object()) throw BadRecord("expected an object, got " + kind_of(r));
  if (!j.text.empty()) return render_text(string_field(r, j.text, j.text));
  if (!j.prompt.empty()) {
    std::string prompt = string_field(r, j.prompt, j.prompt);
    if (!j.input.empty()) {
      auto it = r.find(j.input);
      if (it != r.end() && !it->is_null()) {
        if (!it->is_string()) throw BadRecord(j.input + ": expected a string, got " + kind_of(*it));
        if (!it->get_ref<const std::string&>().empty()) prompt += "\n\n" + it->get<std::string>();
      }
    }
    const std::string& completion = string_field(r, j.completion, j.completion);
    if (chat) return render_with(*chat, chat_of(prompt, completion), json());
    return render_pair(prompt, completion, j.chat_template);
  }
  auto it = r.find(j.messages);
  if (it == r.end()) throw BadRecord(j.messages + ": missing");
  if (!it->is_array()) throw BadRecord(j.messages + ": expected a list, got " + kind_of(*it));
  if (it->empty()) throw BadRecord(j.messages + ": no messages");
  json messages = json::array();
  for (size_t i = 0; i < it->size(); ++i) messages.push_back(message_of((*it)[i], j, j.messages + "[" + std::to_string(i) + "]"));
  json tools = default_tools;
  if (auto t = r.find("tools"); t != r.end() && !t->is_null()) {
    if (!t->is_array()) throw BadRecord("tools: expected a list, got " + kind_of(*t));
    tools = *t;
  }
  return render_with(*chat, messages, tools);
}

// The template chats and pairs are rendered by: a built-in one named in
// `fields`, a .jinja file, else the folder's own (none for pairs without
// one, or with template none or a {prompt} text); a Data error at `where`
// for chats without one.
std::unique_ptr<ChatTemplate> chat_template_for(const JsonlSpec& fields, const std::string& dir, const std::string& config_bytes,
                                              const std::string& jinja_bytes, const std::string& file_bytes,
                                              const Tokenizer& t, std::time_t now, const std::string& where) {
  const std::string& name = fields.chat_template;
  std::optional<TemplateSource> src;
  if (auto b = builtin_template(name)) src = b;
  else if (is_template_file(name)) src = TemplateSource{file_bytes, name, {}};
  else if (name.empty()) src = folder_template(dir, config_bytes, jinja_bytes);
  if (!src) {
    if (fields.messages.empty()) return nullptr;
    throw data_error(where + ": chats need a chat template: " +
                     (name == "none" ? std::string("template none renders none")
                                     : "the tokenizer's folder has none (no chat_template in tokenizer_config.json, no chat_template.jinja)") +
                     "; name one: template chatml, llama3 or FILE.jinja");
  }
  return std::make_unique<ChatTemplate>(*src, chat_tokens(config_bytes, t), now);
}

}  // namespace

std::string read_optional(const std::string& path, const char* what) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return "";
  return read_all(path, what);
}

ExampleMaker::ExampleMaker(const std::string& tokenizer_path, const JsonlSpec& spec, std::time_t now)
    : tokenizer_path_(tokenizer_path), spec_(spec), now_(now) {
  const fs::path dir = fs::path(tokenizer_path).parent_path();
  config_bytes_ = read_optional((dir / "tokenizer_config.json").string(), "tokenizer_config.json");
  jinja_bytes_ = read_optional((dir / "chat_template.jinja").string(), "chat_template.jinja");
  if (is_template_file(spec.chat_template)) {
    std::error_code ec;
    if (!fs::is_regular_file(spec.chat_template, ec))
      throw no_input_error(spec.chat_template + ": no such file (the chat template)");
    file_bytes_ = read_all(spec.chat_template, "a chat template");
  }
  if (!spec.tools.empty()) {
    std::error_code ec;
    if (!fs::is_regular_file(spec.tools, ec)) throw no_input_error(spec.tools + ": no such file (data.tools)");
    tools_ = json::parse(read_all(spec.tools, "data.tools"), nullptr, false);
    if (!tools_.is_array()) throw data_error(spec.tools + ": not a JSON list of tool definitions (data.tools)");
  }
  tokenizer_ = std::make_unique<Tokenizer>(Tokenizer::load(tokenizer_path));  // (with tokenizer_config.json's eos_token)
}

ExampleMaker::~ExampleMaker() = default;

void ExampleMaker::make(const json& r, const std::string& where, Example& out) {
  if (!known_) {
    if (!r.is_object()) throw BadRecord("expected an object, got " + kind_of(r));
    fields_ = fields_of(spec_, r, where);
    known_ = true;
    if (fields_.text.empty())
      chat_ = chat_template_for(fields_, fs::path(tokenizer_path_).parent_path().string(), config_bytes_, jinja_bytes_,
                                file_bytes_, *tokenizer_, now_, where);
    const auto eot = tokenizer_->end_of_text();
    if (!eot)
      throw data_error(tokenizer_path_ + ": no end-of-text token to put after each example (tokenizer_config.json "
                       "eos_token, <|endoftext|>, <|end_of_text|> or </s>)");
    eot_ = *eot;
  }
  out.rendered = render(r, fields_, chat_.get(), tools_);
  out.ids.clear();
  out.trained.clear();
  ends_.clear();
  tokenizer_->encode(out.rendered.text, out.ids, &ends_);
  // Id i covers bytes [lo, ends[i]): after the previous id's end, or, where
  // ids share an end (inside a run NFC changed), the run.
  const auto& trained = out.rendered.trained;
  size_t prev = 0, lo = 0, span = 0;
  for (size_t i = 0; i < ends_.size(); ++i) {
    if (ends_[i] > prev) lo = prev;
    while (span < trained.size() && trained[span].second <= lo) ++span;
    out.trained.push_back(span < trained.size() && trained[span].first < ends_[i] ? 1 : 0);
    prev = std::max(prev, ends_[i]);
  }
  // The end-of-text token ends the example, unless the template wrote it already.
  if (out.ids.empty() || out.ids.back() != eot_) {
    const bool last_trained = !out.trained.empty() && out.trained.back();
    out.ids.push_back(eot_);
    out.trained.push_back(last_trained ? 1 : 0);
  }
}

}  // namespace saturn::tok
