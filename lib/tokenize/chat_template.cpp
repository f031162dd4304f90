#include "tokenize/chat_template.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "core/error.h"
#include "tokenize/cache_files.h"
#include "tokenize/examples.h"
#include "tokenize/jinja/json_value.h"
#include "tokenize/jinja/template.h"
#include "tokenize/tokenizer.h"

namespace saturn::tok {
namespace {

using ojson = nlohmann::ordered_json;

std::string token_content(const ojson& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  return "";
}

// A message as the template sees it: its content, tool calls and reasoning
// tagged with its index.
jinja::Value message_value(const ojson& m, int index) {
  if (!m.is_object()) return jinja::from_json(m);
  jinja::Value d = jinja::Value::make_dict();
  for (const auto& [k, v] : m.items()) {
    const bool tagged = k == "content" || k == "tool_calls" || k == "reasoning_content" || k == "thinking" || k == "reasoning";
    d.dict->items.emplace_back(jinja::Value::string(k), jinja::from_json(v, tagged ? index : -1));
  }
  return d;
}

// The leftmost-longest marker starting in [from, bound): its end, or npos.
size_t marker_end(const std::string& text, const std::vector<std::string>& markers, size_t from, size_t bound) {
  size_t best = std::string::npos, best_end = std::string::npos;
  for (const std::string& m : markers) {
    if (m.empty()) continue;
    const size_t p = text.find(m, from);
    if (p == std::string::npos || p >= bound) continue;
    if (p < best || (p == best && p + m.size() > best_end)) {
      best = p;
      best_end = p + m.size();
    }
  }
  return best_end;
}

const char* kChatml =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const char* kLlama3 =
    "{{ '<|begin_of_text|>' }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
    "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

}  // namespace

ChatTokens chat_tokens(const std::string& config_bytes, const Tokenizer& t) {
  ChatTokens out;
  const ojson c = ojson::parse(config_bytes.empty() ? "{}" : config_bytes, nullptr, false);
  if (c.is_object()) {
    for (const char* k : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
      if (!c.contains(k)) continue;
      const std::string v = token_content(c[k]);
      if (!v.empty()) out.named.emplace_back(k, v);
    }
    if (c.contains("additional_special_tokens") && c["additional_special_tokens"].is_array())
      for (const auto& a : c["additional_special_tokens"]) {
        const std::string v = token_content(a);
        if (!v.empty()) out.additional.push_back(v);
      }
  }
  out.markers = t.special_tokens();
  for (const auto& [k, v] : out.named)
    if (k == "eos_token" && std::find(out.markers.begin(), out.markers.end(), v) == out.markers.end()) out.markers.push_back(v);
  return out;
}

std::optional<TemplateSource> folder_template(const std::string& dir, const std::string& config_bytes,
                                              const std::string& jinja_bytes) {
  const ojson c = ojson::parse(config_bytes.empty() ? "{}" : config_bytes, nullptr, false);
  const std::string origin = dir + "/tokenizer_config.json: chat_template";
  if (c.is_object() && c.contains("chat_template")) {
    const ojson& t = c["chat_template"];
    if (t.is_string()) return TemplateSource{t.get<std::string>(), origin, {}};
    if (t.is_array()) {  // [{"name": ..., "template": ...}]: "default", else the only one
      const ojson* pick = nullptr;
      for (const auto& e : t)
        if (e.is_object() && e.value("name", "") == "default" && e.contains("template") && e["template"].is_string()) pick = &e;
      if (!pick && t.size() == 1 && t[0].is_object() && t[0].contains("template") && t[0]["template"].is_string()) pick = &t[0];
      if (pick) return TemplateSource{(*pick)["template"].get<std::string>(), origin + "[" + pick->value("name", "") + "]", {}};
    }
  }
  if (!jinja_bytes.empty()) return TemplateSource{jinja_bytes, dir + "/chat_template.jinja", {}};
  return std::nullopt;
}

std::optional<TemplateSource> builtin_template(const std::string& name) {
  if (name == "chatml") return TemplateSource{kChatml, "template chatml", {"<|im_end|>"}};
  if (name == "llama3") return TemplateSource{kLlama3, "template llama3", {"<|eot_id|>"}};
  return std::nullopt;
}

ChatTemplate::ChatTemplate(const TemplateSource& source, ChatTokens tokens, std::time_t now)
    : origin_(source.origin), tokens_(std::move(tokens)), now_(now) {
  try {
    t_ = std::make_unique<jinja::Template>(source.text);
  } catch (const jinja::TemplateError& e) {
    throw data_error(origin_ + ":" + std::to_string(e.line) + ":" + std::to_string(e.col) + ": " + e.what());
  }
  tokens_.markers.insert(tokens_.markers.end(), source.markers.begin(), source.markers.end());
}

ChatTemplate::~ChatTemplate() = default;
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;

Rendered ChatTemplate::render(const ojson& messages, const ojson& tools, bool add_generation_prompt) const {
  jinja::Value vars = jinja::Value::make_dict();
  jinja::List ms;
  for (size_t i = 0; i < messages.size(); ++i) ms.push_back(message_value(messages[i], static_cast<int>(i)));
  vars.dict->set(jinja::Value::string("messages"), jinja::Value::make_list(std::move(ms)));
  if (!tools.is_null()) vars.dict->set(jinja::Value::string("tools"), jinja::from_json(tools));
  vars.dict->set(jinja::Value::string("add_generation_prompt"), jinja::Value::boolean(add_generation_prompt));
  for (const auto& [k, v] : tokens_.named) vars.dict->set(jinja::Value::string(k), jinja::Value::string(v));
  jinja::List extra;
  for (const auto& a : tokens_.additional) extra.push_back(jinja::Value::string(a));
  vars.dict->set(jinja::Value::string("additional_special_tokens"), jinja::Value::make_list(std::move(extra)));
  jinja::RenderOptions o;
  o.now = now_;
  jinja::RenderResult r;
  try {
    r = t_->render(vars, o);
  } catch (const jinja::TemplateError& e) {
    throw std::runtime_error(origin_ + ":" + std::to_string(e.line) + ":" + std::to_string(e.col) + ": " + e.what());
  }
  Rendered out;
  out.text = std::move(r.text.text);
  if (t_->has_generation()) {
    for (const auto& g : r.generation)
      if (g.second > g.first) out.trained.push_back(g);
  } else {
    const size_t n = messages.size(), npos = std::string::npos;
    std::vector<size_t> first(n, npos), last(n, 0);
    for (const jinja::Tag& t : r.text.tags) {
      if (t.id < 0 || static_cast<size_t>(t.id) >= n) continue;
      first[static_cast<size_t>(t.id)] = std::min(first[static_cast<size_t>(t.id)], t.begin);
      last[static_cast<size_t>(t.id)] = std::max(last[static_cast<size_t>(t.id)], t.end);
    }
    for (size_t i = 0; i < n; ++i) {
      const ojson& m = messages[i];
      if (first[i] == npos || !m.is_object() || m.value("role", "") != "assistant") continue;
      size_t bound = out.text.size();
      for (size_t j = i + 1; j < n; ++j) bound = std::min(bound, first[j]);
      const size_t end = marker_end(out.text, tokens_.markers, last[i], bound);
      out.trained.emplace_back(first[i], end == npos ? last[i] : end);
    }
  }
  std::sort(out.trained.begin(), out.trained.end());
  std::vector<std::pair<size_t, size_t>> merged;
  for (const auto& t : out.trained) {
    if (!merged.empty() && t.first <= merged.back().second) merged.back().second = std::max(merged.back().second, t.second);
    else merged.push_back(t);
  }
  out.trained = std::move(merged);
  return out;
}

std::string ChatTemplate::end_of_turn() const {
  const std::string answer = "Hello there";
  Rendered r;
  try {
    r = render(ojson::array({{{"role", "user"}, {"content", "Hi"}}, {{"role", "assistant"}, {"content", answer}}}), ojson());
  } catch (const std::runtime_error&) {
    return "";
  }
  const size_t from = r.text.rfind(answer);
  if (from == std::string::npos) return "";
  size_t best = std::string::npos;
  std::string marker;
  for (const auto& m : tokens_.markers)
    if (const size_t at = r.text.find(m, from + answer.size()); !m.empty() && at < best) best = at, marker = m;
  return marker;
}

std::unique_ptr<ChatTemplate> load_chat_template(const std::string& tokenizer_dir, const std::string& name,
                                                 const Tokenizer& t, std::time_t now) {
  namespace fs = std::filesystem;
  const std::string config = read_optional((fs::path(tokenizer_dir) / "tokenizer_config.json").string(), "tokenizer_config.json");
  std::optional<TemplateSource> src;
  if (auto b = builtin_template(name)) src = b;
  else if (name.size() > 6 && name.compare(name.size() - 6, 6, ".jinja") == 0) {
    if (!fs::is_regular_file(name)) throw no_input_error(name + ": no such file (the chat template)");
    src = TemplateSource{read_all(name, "a chat template"), name, {}};
  } else if (name.empty()) {
    src = folder_template(tokenizer_dir, config,
                          read_optional((fs::path(tokenizer_dir) / "chat_template.jinja").string(), "chat_template.jinja"));
  }
  if (!src) return nullptr;
  return std::make_unique<ChatTemplate>(*src, chat_tokens(config, t), now);
}

}  // namespace saturn::tok
