#include "tokenize/text_tokens.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file.h"
#include "core/hash.h"
#include "tokenize/cache_files.h"
#include "tokenize/tokenizer.h"
#include "tokenize/unicode.h"

namespace saturn::tok {
namespace fs = std::filesystem;

std::vector<std::string> text_documents(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return {path};
  if (!fs::is_directory(path, ec)) throw no_input_error(path + ": no such file or folder (text data)");
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(path, ec))
    if (e.is_regular_file()) out.push_back(e.path().string());
  if (ec) throw no_input_error(path + ": cannot list (" + ec.message() + ")");
  std::sort(out.begin(), out.end());
  if (out.empty()) throw no_input_error(path + ": a text folder with no files");
  return out;
}

std::string default_token_cache() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/saturn/tokens";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.cache/saturn/tokens";
}

namespace {

// The cache entry KEY when it is whole: KEY.u32 of as many ids as KEY.json says.
std::optional<TextTokens> cached(const std::string& cache_dir, const std::string& key) {
  std::error_code ec;
  TextTokens out;
  out.path = (fs::path(cache_dir) / (key + ".u32")).string();
  const std::string meta_path = (fs::path(cache_dir) / (key + ".json")).string();
  if (!fs::is_regular_file(out.path, ec) || !fs::is_regular_file(meta_path, ec)) return std::nullopt;
  const nlohmann::json meta = nlohmann::json::parse(read_all(meta_path, "token cache"), nullptr, false);
  if (!meta.is_object() || !meta.contains("tokens") || !meta["tokens"].is_number_unsigned() || !meta.contains("vocab") ||
      !meta["vocab"].is_number_unsigned())
    return std::nullopt;
  out.count = meta["tokens"].get<uint64_t>();
  out.vocab = meta["vocab"].get<uint32_t>();
  if (out.count * 4 != fs::file_size(out.path, ec) || ec) return std::nullopt;
  return out;
}


// text_tokens, writing the cache (and the stat key) only when `write`.
TextTokens tokens_of(const std::string& text_path, const std::string& tokenizer_path, const std::string& cache_dir,
                     bool write) {
  const std::vector<std::string> docs = text_documents(text_path);
  // The folder's tokenizer_config.json can name the end-of-text token.
  const std::string config = (fs::path(tokenizer_path).parent_path() / "tokenizer_config.json").string();
  std::error_code ec;
  const bool has_config = fs::is_regular_file(config, ec);
  // Unchanged files (same sizes and times) find their content key without
  // being read again: every job's runtime estimate asks.
  std::vector<std::string> files = {tokenizer_path};
  if (has_config) files.push_back(config);
  files.insert(files.end(), docs.begin(), docs.end());
  const std::string stats = stat_text(files);
  const std::string by_stat = (fs::path(cache_dir) / ("stat-" + content_hash(stats) + ".key")).string();
  if (!stats.empty() && fs::is_regular_file(by_stat, ec))
    if (auto hit = cached(cache_dir, read_all(by_stat, "token cache"))) return *hit;

  const std::string tokenizer_bytes = read_all(tokenizer_path, "a tokenizer.json");
  std::vector<std::string> texts;
  std::string key_text = "tokenizer=" + content_hash(tokenizer_bytes);
  for (const auto& d : docs) {
    texts.push_back(read_all(d, "text data"));
    key_text += "|doc=" + content_hash(texts.back());
  }
  if (has_config) key_text += "|config=" + content_hash(read_all(config, "tokenizer_config.json"));
  const std::string key = content_hash(key_text);
  auto remember = [&] {
    if (write && !stats.empty()) write_file_atomic(by_stat, key);
  };
  if (auto hit = cached(cache_dir, key)) {
    remember();
    return *hit;
  }
  const Tokenizer t = Tokenizer::load(tokenizer_path);
  const auto eot = t.end_of_text();
  if (docs.size() > 1 && !eot)
    throw data_error(tokenizer_path + ": no end-of-text token to put between the " + std::to_string(docs.size()) +
                     " documents of " + text_path + " (tokenizer_config.json eos_token, <|endoftext|>, <|end_of_text|> or </s>)");
  std::vector<uint32_t> ids;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (size_t bad = invalid_utf8(texts[i]); bad != std::string::npos)
      throw data_error(docs[i] + ": not UTF-8 at byte " + std::to_string(bad) + " (text data)");
    if (i > 0) ids.push_back(*eot);
    t.encode(texts[i], ids);
    std::string().swap(texts[i]);
  }
  TextTokens out;
  out.count = ids.size();
  out.vocab = t.vocab_size();
  out.made = true;
  if (!write) return out;
  std::string bytes(ids.size() * 4, '\0');
  for (size_t i = 0; i < ids.size(); ++i)
    for (int b = 0; b < 4; ++b) bytes[4 * i + static_cast<size_t>(b)] = static_cast<char>((ids[i] >> (8 * b)) & 0xFF);
  out.path = (fs::path(cache_dir) / (key + ".u32")).string();
  write_file_atomic(out.path, bytes);
  const nlohmann::json meta = {{"tokens", out.count}, {"vocab", out.vocab}, {"text", text_path}, {"tokenizer", tokenizer_path}};
  write_file_atomic((fs::path(cache_dir) / (key + ".json")).string(), meta.dump(2) + "\n");
  remember();
  return out;
}

}  // namespace

TextTokens text_tokens(const std::string& text_path, const std::string& tokenizer_path, const std::string& cache_dir) {
  return tokens_of(text_path, tokenizer_path, cache_dir, true);
}

TextTokens count_text_tokens(const std::string& text_path, const std::string& tokenizer_path, const std::string& cache_dir) {
  return tokens_of(text_path, tokenizer_path, cache_dir, false);
}

}  // namespace saturn::tok
