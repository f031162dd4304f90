#include "tokenize/chat_format.h"

#include <cstdint>

namespace saturn::tok {
namespace {

// Python's str.isspace for one code point (what Jinja's trim strips).
bool py_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// The code point starting at s[i] (well-formed UTF-8) and its length.
uint32_t code_at(const std::string& s, size_t i, size_t* len) {
  const auto b = static_cast<unsigned char>(s[i]);
  const size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  uint32_t c = n == 1 ? b : b & (0xFF >> (n + 1));
  for (size_t k = 1; k < n && i + k < s.size(); ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  *len = n;
  return c;
}

// Jinja's trim: leading and trailing whitespace (Python's) off.
std::string trim(const std::string& s) {
  size_t b = 0, len = 0;
  while (b < s.size() && py_space(code_at(s, b, &len))) b += len;
  size_t e = s.size();
  while (e > b) {
    size_t p = e - 1;
    while (p > b && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80) --p;
    if (!py_space(code_at(s, p, &len))) break;
    e = p;
  }
  return s.substr(b, e - b);
}

// Appends `s` to r.text, trained or not (adjacent trained ranges merge).
void add(Rendered& r, const std::string& s, bool trained) {
  const size_t b = r.text.size();
  r.text += s;
  if (!trained || s.empty()) return;
  if (!r.trained.empty() && r.trained.back().second == b) r.trained.back().second = r.text.size();
  else r.trained.emplace_back(b, r.text.size());
}

}  // namespace

std::optional<ChatFormat> chat_format_named(const std::string& name) {
  if (name == "chatml") return ChatFormat::ChatML;
  if (name == "llama3") return ChatFormat::Llama3;
  return std::nullopt;
}

std::optional<ChatFormat> chat_format_of_template(const std::string& jinja) {
  if (jinja.find("<|im_start|>") != std::string::npos) return ChatFormat::ChatML;
  if (jinja.find("<|start_header_id|>") != std::string::npos) return ChatFormat::Llama3;
  return std::nullopt;
}

Rendered render_chat(const std::vector<Message>& messages, ChatFormat f) {
  Rendered r;
  if (f == ChatFormat::Llama3) add(r, "<|begin_of_text|>", false);
  for (const Message& m : messages) {
    const bool assistant = m.role == "assistant";
    if (f == ChatFormat::ChatML) {
      add(r, "<|im_start|>" + m.role + "\n", false);
      add(r, m.content + "<|im_end|>", assistant);
      add(r, "\n", false);
    } else {
      add(r, "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n", false);
      add(r, trim(m.content) + "<|eot_id|>", assistant);
    }
  }
  return r;
}

Rendered render_pair(const std::string& prompt, const std::string& completion, const std::string& templ) {
  if (auto f = chat_format_named(templ)) return render_chat({{"user", prompt}, {"assistant", completion}}, *f);
  Rendered r;
  if (templ.empty() || templ == "none") {
    add(r, prompt, false);
    add(r, completion, true);
    return r;
  }
  const size_t p = templ.find("{prompt}"), c = templ.find("{completion}");
  add(r, templ.substr(0, p) + prompt + templ.substr(p + 8, c - p - 8), false);
  add(r, completion + templ.substr(c + 12), true);
  return r;
}

Rendered render_text(std::string text) {
  Rendered r;
  add(r, text, true);
  return r;
}

}  // namespace saturn::tok
