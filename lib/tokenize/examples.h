// Records as training examples: which fields a record's example comes
// from (given, or found from the first record: messages, ShareGPT's
// conversations of from/value, prompt/completion, instruction/input/output,
// text), its text and trained bytes (documents all trained; pairs plainly or
// by a {prompt} text; chats, and pairs under a chat model, by the chat
// template: chat_template.h), its ids (tokenized whole, as transformers'
// apply_chat_template(tokenize=True) does) and which ids are trained (an id
// whose bytes meet a trained range), then the end-of-text token unless the
// template wrote it (trained when the id before it is). Torch-free.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/data_spec.h"
#include "tokenize/chat_format.h"

namespace saturn::tok {

class ChatTemplate;
class Tokenizer;

// What is wrong with one record: "field: what" (the caller adds where).
struct BadRecord : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Example {
  Rendered rendered;             // the text and its trained byte ranges
  std::vector<uint32_t> ids;     // the end-of-text id last
  std::vector<uint8_t> trained;  // 0 or 1 per id
};

class ExampleMaker {
 public:
  // Loads the tokenizer, its folder's tokenizer_config.json and
  // chat_template.jinja, the spec's FILE.jinja and its data.tools (the
  // tools of records without their own). `now`: what a template's
  // strftime_now formats. Throws saturn::Error (NoInput, Data).
  ExampleMaker(const std::string& tokenizer_path, const JsonlSpec& spec, std::time_t now);
  ~ExampleMaker();

  // The record's example (the first record also fixes the fields). Throws
  // BadRecord for this record, saturn::Error (Data, at `where`) for what
  // spoils every record (chats without a template, no end-of-text token).
  void make(const nlohmann::ordered_json& record, const std::string& where, Example& out);

  const Tokenizer& tokenizer() const { return *tokenizer_; }
  uint32_t end_of_text() const { return eot_; }
  const JsonlSpec& fields() const { return fields_; }  // after the first make()

 private:
  std::string tokenizer_path_, config_bytes_, jinja_bytes_, file_bytes_;
  nlohmann::ordered_json tools_;  // data.tools (null: none)
  JsonlSpec spec_, fields_;
  std::time_t now_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<ChatTemplate> chat_;
  uint32_t eot_ = 0;
  bool known_ = false;
  std::vector<size_t> ends_;
};

// The bytes of a file the examples may depend on ("" when there is none).
std::string read_optional(const std::string& path, const char* what);

}  // namespace saturn::tok
