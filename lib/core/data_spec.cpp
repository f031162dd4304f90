#include "data_spec.h"

#include <algorithm>

#include "text.h"

namespace saturn {

const char* data_format_name(DataFormat f) {
  switch (f) {
    case DataFormat::Text: return "text";
    case DataFormat::Tokens: return "tokens";
    case DataFormat::Synthetic: return "synthetic";
    case DataFormat::Idx: return "idx";
    case DataFormat::Cifar: return "cifar";
    case DataFormat::Jsonl: return "jsonl";
  }
  return "?";
}

std::vector<std::string> data_format_names() { return {"text", "tokens", "synthetic", "idx", "cifar", "jsonl"}; }

Modality data_modality(DataFormat f) {
  switch (f) {
    case DataFormat::Text:
    case DataFormat::Tokens:
    case DataFormat::Jsonl: return Modality::Tokens;
    case DataFormat::Idx:
    case DataFormat::Cifar: return Modality::Images;
    case DataFormat::Synthetic: return Modality::Any;
  }
  return Modality::Any;
}

std::string canonical(const JsonlSpec& j) {
  std::string roles;
  for (const auto& [from, to] : j.roles) roles += ",roles." + from + "=" + to;
  return "text=" + j.text + ",prompt=" + j.prompt + ",input=" + j.input + ",completion=" + j.completion +
         ",messages=" + j.messages + ",template=" + j.chat_template + (j.packing ? ",packed" : ",padded") +
         (j.split_long ? ",split" : ",truncate") + (j.skip_bad_lines ? ",skip_bad" : "") +
         (j.role.empty() ? "" : ",role=" + j.role) + (j.content.empty() ? "" : ",content=" + j.content) +
         roles + (j.reader == "jsonl" ? "" : ",reader=" + j.reader) + (j.tools.empty() ? "" : ",tools=" + j.tools);
}

static std::string canonical(const DataSource& s) {
  return std::string(data_format_name(s.format)) + ":" + s.path + ":" + s.labels + ":" +
         std::to_string(s.samples) + ":" + std::to_string(s.seed) +
         (s.token_bytes != 2 ? ":u" + std::to_string(8 * s.token_bytes) : "") +
         (s.noise != 1.0 ? ":noise=" + format_number(s.noise) : "") +
         (s.format == DataFormat::Jsonl ? ":{" + canonical(s.jsonl) + "}" : "");
}

std::string canonical(const DataSpec& d) {
  return "train=" + canonical(d.train) + "|valid=" + (d.valid ? canonical(*d.valid) : "") +
         "|fraction=" + format_number(d.valid_fraction) + (d.tokenizer.empty() ? "" : "|tokenizer=" + d.tokenizer);
}

int64_t held_out(int64_t n, double fraction) {
  auto v = static_cast<int64_t>(static_cast<double>(n) * fraction);
  if (fraction > 0 && v == 0 && n >= 2) v = 1;
  return std::max<int64_t>(0, std::min(v, n - 1));  // (none of none)
}

}  // namespace saturn
