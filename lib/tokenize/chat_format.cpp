#include "tokenize/chat_format.h"


namespace saturn::tok {
namespace {

// Appends `s` to r.text, trained or not (adjacent trained ranges merge).
void add(Rendered& r, const std::string& s, bool trained) {
  const size_t b = r.text.size();
  r.text += s;
  if (!trained || s.empty()) return;
  if (!r.trained.empty() && r.trained.back().second == b) r.trained.back().second = r.text.size();
  else r.trained.emplace_back(b, r.text.size());
}

}  // namespace

Rendered render_pair(const std::string& prompt, const std::string& completion, const std::string& templ) {
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
