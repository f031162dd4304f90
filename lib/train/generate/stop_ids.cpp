#include "train/generate/stop_ids.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "tokenize/cache_files.h"
#include "tokenize/chat_template.h"
#include "tokenize/examples.h"
#include "tokenize/tokenizer.h"

namespace saturn::train {
namespace fs = std::filesystem;
using json = nlohmann::json;

StopIds stop_ids(const std::string& tokenizer_dir, const std::string& generation_dir, const tok::Tokenizer& t,
                 const tok::ChatTemplate* chat) {
  StopIds s;
  if (auto eot = t.end_of_text()) s.stop.push_back(*eot);
  const fs::path gen_path = fs::path(generation_dir.empty() ? tokenizer_dir : generation_dir) / "generation_config.json";
  json gen = json::object();
  if (fs::is_regular_file(gen_path)) gen = json::parse(tok::read_all(gen_path.string(), "generation_config.json"), nullptr, false);
  auto add = [&](const json& v) {
    if (v.is_number_integer()) s.stop.push_back(v.get<int64_t>());
    else if (v.is_array())
      for (const auto& x : v)
        if (x.is_number_integer()) s.stop.push_back(x.get<int64_t>());
  };
  if (gen.is_object() && gen.contains("eos_token_id")) add(gen["eos_token_id"]);
  if (chat)
    if (const std::string m = chat->end_of_turn(); !m.empty())
      if (auto id = t.token_id(m)) s.stop.push_back(*id);
  std::sort(s.stop.begin(), s.stop.end());
  s.stop.erase(std::unique(s.stop.begin(), s.stop.end()), s.stop.end());
  const std::string config = tok::read_optional((fs::path(tokenizer_dir) / "tokenizer_config.json").string(), "tokenizer_config.json");
  const json c = json::parse(config.empty() ? "{}" : config, nullptr, false);
  std::optional<uint32_t> pad;
  if (c.is_object() && c.contains("pad_token")) {
    const json& p = c["pad_token"];
    if (p.is_string()) pad = t.token_id(p.get<std::string>());
    else if (p.is_object() && p.contains("content") && p["content"].is_string()) pad = t.token_id(p["content"].get<std::string>());
  }
  if (pad) s.pad = *pad;
  else if (gen.is_object() && gen.contains("pad_token_id") && gen["pad_token_id"].is_number_integer())
    s.pad = gen["pad_token_id"].get<int64_t>();
  else if (!s.stop.empty()) s.pad = s.stop.front();
  return s;
}

}  // namespace saturn::train
