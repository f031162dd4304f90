// libFuzzer target for the Jinja interpreter (lib/tokenize/jinja): any input
// is a chat template. It must parse or fail with a TemplateError, and what
// parses must render a fixed chat (messages with tagged content, tools, the
// special tokens) or fail with a TemplateError, within small sandbox limits
// (steps, depth, output). A crash, a sanitizer report, another exception, a
// tag outside the output or output past the limit is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "tokenize/jinja/json_value.h"
#include "tokenize/jinja/template.h"

namespace {

using namespace saturn::jinja;

const Value& context() {
  static const Value v = [] {
    Value d = Value::make_dict();
    List ms;
    const auto chat = nlohmann::ordered_json::parse(
        R"([{"role": "system", "content": " Be brief. "}, {"role": "user", "content": "héllo <|im_end|>"},
            {"role": "assistant", "content": "hi\n"}, {"role": "assistant", "content": null,
             "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"a": [1, 2.5, null]}}}]},
            {"role": "tool", "content": "{\"ok\": true}"}, {"role": "user", "content": [{"type": "text", "text": "x"}]}])");
    for (size_t i = 0; i < chat.size(); ++i) ms.push_back(from_json(chat[i], static_cast<int>(i)));
    d.dict->set(Value::string("messages"), Value::make_list(std::move(ms)));
    d.dict->set(Value::string("tools"), from_json(nlohmann::ordered_json::parse(
                                            R"([{"type": "function", "function": {"name": "f", "parameters": {}}}])")));
    d.dict->set(Value::string("bos_token"), Value::string("<s>"));
    d.dict->set(Value::string("eos_token"), Value::string("</s>"));
    d.dict->set(Value::string("add_generation_prompt"), Value::boolean(true));
    return d;
  }();
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string source(reinterpret_cast<const char*>(data), size);
  Limits l;
  l.max_steps = 20000;
  l.max_depth = 64;
  l.max_output = 1 << 16;
  try {
    Template t(source, l);
    RenderOptions o;
    o.limits = l;
    o.now = 1733529600;
    const RenderResult r = t.render(context(), o);
    if (r.text.text.size() > l.max_output) std::abort();
    for (const Tag& tag : r.text.tags)
      if (tag.begin > tag.end || tag.end > r.text.text.size()) std::abort();
    for (const auto& [b, e] : r.generation)
      if (b > e || e > r.text.text.size()) std::abort();
  } catch (const TemplateError&) {
  }
  return 0;
}
