#include "tokenize/tokenizer.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenize/pretokenize.h"
#include "tokenize/unicode.h"

namespace saturn::tok {
namespace {

using json = nlohmann::json;

constexpr uint64_t kMaxIds = 1ull << 24;  // the largest vocabulary a model may have (arch.h)

// GPT-2's bytes_to_unicode: the printable Latin-1 bytes stand for
// themselves, the others for U+0100 onwards, in byte order.
const std::array<char32_t, 256>& byte_chars() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> t{};
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      t[static_cast<size_t>(b)] = printable ? static_cast<char32_t>(b) : next++;
    }
    return t;
  }();
  return table;
}

// The bytes a byte-level string stands for, or nullopt when it holds a
// character outside the 256 of the alphabet.
std::optional<std::string> byte_level_bytes(const std::string& s) {
  static const std::unordered_map<char32_t, unsigned char> back = [] {
    std::unordered_map<char32_t, unsigned char> m;
    for (int b = 0; b < 256; ++b) m[byte_chars()[static_cast<size_t>(b)]] = static_cast<unsigned char>(b);
    return m;
  }();
  std::string out;
  for (size_t i = 0; i < s.size();) {
    int len;
    const char32_t c = decode_utf8(s, i, &len);
    if (len == 0) return std::nullopt;
    auto it = back.find(c);
    if (it == back.end()) return std::nullopt;
    out += static_cast<char>(it->second);
    i += static_cast<size_t>(len);
  }
  return out;
}

struct AddedToken {
  std::string content;
  uint32_t id = 0;
  bool lstrip = false, rstrip = false, single_word = false, special = false;
};

bool is_space_at(std::string_view s, size_t i, int* len) {
  const char32_t c = decode_utf8(s, i, len);
  return *len > 0 && char_class(c) == CharClass::Space;
}

// The start of the code point that ends at byte `end` of s.
size_t prev_char(std::string_view s, size_t end) {
  size_t i = end - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

bool word_char_before(std::string_view s, size_t at) {
  if (at == 0) return false;
  int len;
  const CharClass c = char_class(decode_utf8(s, prev_char(s, at), &len));
  return c == CharClass::Letter || c == CharClass::Number;
}

bool word_char_at(std::string_view s, size_t at) {
  if (at >= s.size()) return false;
  int len;
  const CharClass c = char_class(decode_utf8(s, at, &len));
  return c == CharClass::Letter || c == CharClass::Number;
}

}  // namespace

struct Tokenizer::Impl {
  std::string where;
  std::unordered_map<std::string, uint32_t> vocab;        // a byte-level entry's bytes -> id
  std::unordered_map<std::string, uint32_t> by_content;   // entries and added tokens as written -> id
  std::vector<std::string> id_text;                       // id -> what decode gives
  std::vector<bool> known;                                // id -> has an entry
  std::array<int64_t, 256> byte_id{};                     // one byte -> id, or -1
  std::unordered_map<uint64_t, std::pair<uint32_t, uint32_t>> merges;  // (a, b) -> (rank, merged)
  bool ignore_merges = false, fuse_unk = false, nfc = false, prefix_space = false, prefix_per_piece = false;
  std::optional<uint32_t> unk;
  std::optional<SplitPattern> pattern;
  std::vector<AddedToken> added;
  std::array<std::vector<size_t>, 256> added_by_byte;     // first byte -> added tokens, longest first
  uint32_t size = 0;
  std::optional<uint32_t> eot;
  mutable std::unordered_map<std::string, std::vector<uint32_t>> cache;

  Error bad(const std::string& key, const std::string& what) const { return data_error(where + ": " + key + ": " + what); }
  // o[key] as a string (def when absent or null); `at` names o in errors.
  std::string text(const json& o, const char* key, const std::string& def, const std::string& at) const {
    if (!o.is_object()) throw bad(at, "expected an object, got " + o.dump().substr(0, 80));
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return def;
    if (!it->is_string()) throw bad(at + "." + key, "expected a string, got " + it->dump().substr(0, 80));
    return it->get<std::string>();
  }
  bool flag(const json& o, const char* key, bool def, const std::string& at) const {
    if (!o.is_object()) throw bad(at, "expected an object, got " + o.dump().substr(0, 80));
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return def;
    if (!it->is_boolean()) throw bad(at + "." + key, "expected true or false, got " + it->dump().substr(0, 80));
    return it->get<bool>();
  }

  void bpe(std::string_view piece, std::vector<uint32_t>& out) const;
  // `ends` (may be null): each id's end, as a byte offset in the text, the
  // segment starting at byte `base` of it.
  void encode_segment(std::string_view segment, std::vector<uint32_t>& out, size_t base = 0,
                      std::vector<size_t>* ends = nullptr) const;
  // Ends of ids [from, out.size()) of a piece at [begin, end) of the text:
  // each id's bytes after the previous, within the piece.
  void piece_ends(const std::vector<uint32_t>& out, size_t from, size_t begin, size_t end, std::vector<size_t>* ends) const;
  void encode_piece(std::string_view piece, std::vector<uint32_t>& out) const;
  // The leftmost-longest added token in s at or after `from`: its index and
  // [begin, end) including the whitespace lstrip/rstrip take; nullopt if none.
  std::optional<std::tuple<size_t, size_t, size_t>> next_added(std::string_view s, size_t from) const;
  void read_model(const json& m);
  void read_pre_tokenizer(const json& p);
  void read_normalizer(const json& n);
  void read_added(const json& a);
};

void Tokenizer::Impl::bpe(std::string_view piece, std::vector<uint32_t>& out) const {
  std::vector<uint32_t> sym;
  sym.reserve(piece.size());
  bool last_unk = false;
  for (char ch : piece) {
    const int64_t id = byte_id[static_cast<unsigned char>(ch)];
    if (id >= 0) {
      sym.push_back(static_cast<uint32_t>(id));
      last_unk = false;
    } else if (unk && !(fuse_unk && last_unk)) {
      sym.push_back(*unk);
      last_unk = true;
    }
  }
  constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  auto rank_of = [&](size_t k, uint32_t* merged) {
    auto it = merges.find((static_cast<uint64_t>(sym[k]) << 32) | sym[k + 1]);
    if (it == merges.end()) return kNone;
    *merged = it->second.second;
    return it->second.first;
  };
  // rank[k], into[k]: the merge of symbols k and k + 1.
  std::vector<uint32_t> rank(sym.size(), kNone), into(sym.size(), 0);
  for (size_t k = 0; k + 1 < sym.size(); ++k) rank[k] = rank_of(k, &into[k]);
  while (sym.size() > 1) {
    size_t best = 0;
    for (size_t k = 1; k + 1 < sym.size(); ++k)
      if (rank[k] < rank[best]) best = k;
    if (rank[best] == kNone) break;
    sym[best] = into[best];
    sym.erase(sym.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    rank.erase(rank.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    into.erase(into.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    rank.back() = kNone;
    if (best + 1 < sym.size()) rank[best] = rank_of(best, &into[best]);
    else rank[best] = kNone;
    if (best > 0) rank[best - 1] = rank_of(best - 1, &into[best - 1]);
  }
  out.insert(out.end(), sym.begin(), sym.end());
}

void Tokenizer::Impl::encode_piece(std::string_view piece, std::vector<uint32_t>& out) const {
  if (ignore_merges) {
    auto it = vocab.find(std::string(piece));
    if (it != vocab.end()) {
      out.push_back(it->second);
      return;
    }
  }
  std::string key(piece);
  auto it = cache.find(key);
  if (it == cache.end()) {
    if (cache.size() > (1u << 20)) cache.clear();
    std::vector<uint32_t> ids;
    bpe(piece, ids);
    it = cache.emplace(std::move(key), std::move(ids)).first;
  }
  out.insert(out.end(), it->second.begin(), it->second.end());
}

void Tokenizer::Impl::piece_ends(const std::vector<uint32_t>& out, size_t from, size_t begin, size_t end,
                                 std::vector<size_t>* ends) const {
  size_t at = begin;
  for (size_t i = from; i < out.size(); ++i) {
    at = std::min(end, at + (out[i] < id_text.size() && (!unk || out[i] != *unk) ? id_text[out[i]].size() : 1));
    ends->push_back(i + 1 == out.size() ? end : at);
  }
}

namespace {

// Where NFC changed bytes: the normalized text in chunks, each an ASCII byte
// and the non-ASCII bytes after it (an ASCII character never composes with
// what is before it, so chunks normalize alone), with where each came from.
struct NfcMap {
  struct Chunk {
    size_t from, to;  // in the normalized text
    size_t begin, end;  // in the original
    bool same;        // unchanged: byte for byte
  };
  std::vector<Chunk> chunks;
  // An offset in the normalized text as one in the original: exact in an
  // unchanged chunk, else the end of the changed chunk it falls in.
  size_t end_of(size_t x) const {
    auto it = std::lower_bound(chunks.begin(), chunks.end(), x, [](const Chunk& c, size_t v) { return c.to < v; });
    if (it == chunks.end()) return chunks.empty() ? 0 : chunks.back().end;
    return it->same ? it->begin + (x - it->from) : (x <= it->from ? it->begin : it->end);
  }
};

std::string nfc_mapped(std::string_view s, NfcMap& map) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i + 1;
    while (j < s.size() && static_cast<unsigned char>(s[j]) >= 0x80) ++j;
    const std::string_view chunk = s.substr(i, j - i);
    const std::string n = j - i == 1 ? std::string(chunk) : nfc(chunk);
    map.chunks.push_back({out.size(), out.size() + n.size(), i, j, n == chunk});
    out += n;
    i = j;
  }
  return out;
}

}  // namespace

void Tokenizer::Impl::encode_segment(std::string_view segment, std::vector<uint32_t>& out, size_t base,
                                     std::vector<size_t>* ends) const {
  if (segment.empty()) return;
  const size_t length = segment.size();
  std::string normal;
  NfcMap map;  // empty: offsets in `segment` are the text's
  if (nfc) {
    normal = tok::nfc(segment);
    if (normal != segment && ends) normal = nfc_mapped(segment, map);
    segment = normal;
  }
  std::string prefixed;
  size_t shift = 0;  // bytes before the text's first: an added prefix space
  if (prefix_space && !prefix_per_piece && segment.front() != ' ') {
    prefixed = " " + std::string(segment);
    segment = prefixed;
    shift = 1;
  }
  auto to_text = [&](size_t at) {  // an offset in `segment` as one in the text
    const size_t x = at >= shift ? at - shift : 0;
    return base + std::min(length, map.chunks.empty() ? x : map.end_of(x));
  };
  if (!pattern) {
    const size_t from = out.size();
    encode_piece(segment, out);
    if (ends) piece_ends(out, from, base, base + length, ends);
    return;
  }
  for (std::string_view piece : split(segment, *pattern)) {
    const size_t from = out.size();
    if (prefix_space && prefix_per_piece && piece.front() != ' ') encode_piece(" " + std::string(piece), out);
    else encode_piece(piece, out);
    if (ends) {
      const auto at = static_cast<size_t>(piece.data() - segment.data());
      piece_ends(out, from, to_text(at), to_text(at + piece.size()), ends);
    }
  }
}

std::optional<std::tuple<size_t, size_t, size_t>> Tokenizer::Impl::next_added(std::string_view s, size_t from) const {
  if (added.empty()) return std::nullopt;
  for (size_t p = from; p < s.size(); ++p) {
    for (size_t a : added_by_byte[static_cast<unsigned char>(s[p])]) {
      const AddedToken& t = added[a];
      if (s.compare(p, t.content.size(), t.content) != 0) continue;
      size_t begin = p, end = p + t.content.size();
      if (t.single_word && (word_char_before(s, begin) || word_char_at(s, end))) continue;
      int len;
      if (t.lstrip)
        while (begin > from && is_space_at(s, prev_char(s, begin), &len)) begin = prev_char(s, begin);
      if (t.rstrip)
        while (end < s.size() && is_space_at(s, end, &len)) end += static_cast<size_t>(len);
      return std::make_tuple(a, begin, end);
    }
  }
  return std::nullopt;
}

void Tokenizer::Impl::read_model(const json& m) {
  if (!m.is_object()) throw bad("model", "expected an object");
  const std::string type = text(m, "type", "BPE", "model");
  if (type != "BPE") throw bad("model.type", "\"" + type + "\"; saturn reads byte-level BPE tokenizers");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (m.contains(key) && !m[key].is_null() && m[key] != "")
      throw bad(std::string("model.") + key, m[key].dump() + ": not used by byte-level BPE, not built in");
  if (m.contains("dropout") && !m["dropout"].is_null() && m["dropout"] != 0.0)
    throw bad("model.dropout", m["dropout"].dump() + ": BPE dropout is not built in");
  ignore_merges = flag(m, "ignore_merges", false, "model");
  fuse_unk = flag(m, "fuse_unk", false, "model");
  const bool byte_fallback = flag(m, "byte_fallback", false, "model");
  const json& v = m.contains("vocab") ? m["vocab"] : json();
  if (!v.is_object()) throw bad("model.vocab", "expected an object of token -> id");
  for (const auto& [text, id] : v.items()) {
    if (!id.is_number_unsigned() || id.get<uint64_t>() >= kMaxIds)
      throw bad("model.vocab", "\"" + text + "\": expected an id below " + std::to_string(kMaxIds) + ", got " + id.dump());
    const auto i = id.get<uint32_t>();
    if (i >= id_text.size()) {
      id_text.resize(i + 1);
      known.resize(i + 1, false);
    }
    auto bytes = byte_level_bytes(text);
    id_text[i] = bytes ? *bytes : text;
    known[i] = true;
    by_content[text] = i;
    if (bytes) vocab[*bytes] = i;
    size = std::max(size, i + 1);
  }
  byte_id.fill(-1);
  for (int b = 0; b < 256; ++b) {
    auto it = vocab.find(std::string(1, static_cast<char>(b)));
    if (it != vocab.end()) byte_id[static_cast<size_t>(b)] = it->second;
    else if (byte_fallback) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      if (auto f = by_content.find(name); f != by_content.end()) byte_id[static_cast<size_t>(b)] = f->second;
    }
  }
  if (m.contains("unk_token") && m["unk_token"].is_string()) {
    auto it = by_content.find(m["unk_token"].get<std::string>());
    if (it == by_content.end()) throw bad("model.unk_token", m["unk_token"].dump() + " is not in the vocabulary");
    unk = it->second;
  }
  const json& ms = m.contains("merges") ? m["merges"] : json::array();
  if (!ms.is_array()) throw bad("model.merges", "expected a list");
  uint32_t rank = 0;
  for (const json& e : ms) {
    std::string a, b;
    if (e.is_string()) {  // "a b"
      const std::string s = e.get<std::string>();
      const size_t sp = s.find(' ');
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
        throw bad("model.merges", "merge " + std::to_string(rank) + " (" + e.dump() + ") is not two tokens");
      a = s.substr(0, sp), b = s.substr(sp + 1);
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {  // ["a", "b"]
      a = e[0].get<std::string>(), b = e[1].get<std::string>();
    } else {
      throw bad("model.merges", "merge " + std::to_string(rank) + " (" + e.dump() + ") is not two tokens");
    }
    auto ia = by_content.find(a), ib = by_content.find(b), iab = by_content.find(a + b);
    if (ia == by_content.end() || ib == by_content.end() || iab == by_content.end())
      throw bad("model.merges", "merge " + std::to_string(rank) + " (" + e.dump() + ") names a token outside the vocabulary");
    merges.emplace((static_cast<uint64_t>(ia->second) << 32) | ib->second, std::make_pair(rank, iab->second));
    ++rank;
  }
}

void Tokenizer::Impl::read_pre_tokenizer(const json& p) {
  auto byte_level = [&](const json& b, bool in_sequence) {
    prefix_space = flag(b, "add_prefix_space", false, "pre_tokenizer");
    prefix_per_piece = in_sequence;
    if (flag(b, "use_regex", true, "pre_tokenizer")) {
      if (in_sequence) throw bad("pre_tokenizer", "a ByteLevel with use_regex after a Split is not built in");
      pattern = SplitPattern::Gpt2;
    }
  };
  if (!p.is_object()) throw bad("pre_tokenizer", "missing; saturn reads byte-level tokenizers (ByteLevel)");
  const std::string type = text(p, "type", "", "pre_tokenizer");
  if (type == "ByteLevel") return byte_level(p, false);
  if (type != "Sequence" || !p.contains("pretokenizers") || !p["pretokenizers"].is_array())
    throw bad("pre_tokenizer", "\"" + type + "\"; saturn reads ByteLevel, or a Split followed by ByteLevel");
  const json& seq = p["pretokenizers"];
  if (seq.size() != 2 || text(seq[0], "type", "", "pre_tokenizer") != "Split" || text(seq[1], "type", "", "pre_tokenizer") != "ByteLevel")
    throw bad("pre_tokenizer", "a Sequence of " + std::to_string(seq.size()) +
                                   "; saturn reads ByteLevel, or a Split followed by ByteLevel");
  const json& s = seq[0];
  if (text(s, "behavior", "", "pre_tokenizer") != "Isolated" || flag(s, "invert", false, "pre_tokenizer"))
    throw bad("pre_tokenizer", "a Split with behavior " + text(s, "behavior", "?", "pre_tokenizer") +
                                   (flag(s, "invert", false, "pre_tokenizer") ? " inverted" : "") + "; saturn reads Isolated");
  const json& pat = s.contains("pattern") ? s["pattern"] : json();
  if (!pat.is_object() || !pat.contains("Regex") || !pat["Regex"].is_string())
    throw bad("pre_tokenizer", "a Split on " + pat.dump() + "; saturn reads the GPT-2, Llama-3 and Qwen2 regexes");
  pattern = split_pattern(pat["Regex"].get<std::string>());
  if (!pattern)
    throw bad("pre_tokenizer", "the Split regex " + pat["Regex"].dump() + " is not one saturn reads (GPT-2, Llama-3, Qwen2)");
  byte_level(seq[1], true);
}

void Tokenizer::Impl::read_normalizer(const json& n) {
  if (n.is_null()) return;
  const std::string type = text(n, "type", "", "normalizer");
  if (type == "NFC") {
    nfc = true;
    return;
  }
  if (type == "Sequence" && n.contains("normalizers") && n["normalizers"].is_array()) {
    for (const json& e : n["normalizers"]) read_normalizer(e);
    return;
  }
  throw bad("normalizer", "\"" + type + "\"; saturn reads none and NFC");
}

void Tokenizer::Impl::read_added(const json& a) {
  if (a.is_null()) return;
  if (!a.is_array()) throw bad("added_tokens", "expected a list");
  for (const json& t : a) {
    if (!t.is_object() || !t.contains("content") || !t["content"].is_string() || !t.contains("id") ||
        !t["id"].is_number_unsigned() || t["id"].get<uint64_t>() >= kMaxIds)
      throw bad("added_tokens", t.dump().substr(0, 200) + ": expected {\"id\", \"content\", ...}");
    AddedToken at;
    at.content = t["content"].get<std::string>();
    at.id = t["id"].get<uint32_t>();
    at.lstrip = flag(t, "lstrip", false, "added_tokens");
    at.rstrip = flag(t, "rstrip", false, "added_tokens");
    at.single_word = flag(t, "single_word", false, "added_tokens");
    at.special = flag(t, "special", false, "added_tokens");
    if (at.content.empty()) throw bad("added_tokens", "token " + std::to_string(at.id) + " has no content");
    if (at.id >= id_text.size()) {
      id_text.resize(at.id + 1);
      known.resize(at.id + 1, false);
    }
    id_text[at.id] = at.content;
    known[at.id] = true;
    by_content[at.content] = at.id;
    size = std::max(size, at.id + 1);
    added.push_back(at);
  }
  for (size_t i = 0; i < added.size(); ++i)
    added_by_byte[static_cast<unsigned char>(added[i].content[0])].push_back(i);
  for (auto& bucket : added_by_byte)
    std::stable_sort(bucket.begin(), bucket.end(),
                     [&](size_t x, size_t y) { return added[x].content.size() > added[y].content.size(); });
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::parse(const std::string& text, const std::string& where) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) throw data_error(where + ": not a JSON object");
  auto impl = std::make_unique<Impl>();
  impl->where = where;
  impl->read_model(j.contains("model") ? j["model"] : json());
  impl->read_normalizer(j.contains("normalizer") ? j["normalizer"] : json());
  impl->read_pre_tokenizer(j.contains("pre_tokenizer") ? j["pre_tokenizer"] : json());
  impl->read_added(j.contains("added_tokens") ? j["added_tokens"] : json());
  for (const char* name : {"<|endoftext|>", "<|end_of_text|>", "</s>"})
    if (!impl->eot)
      for (const auto& a : impl->added)
        if (a.content == name) impl->eot = a.id;
  return Tokenizer(std::move(impl));
}

Tokenizer Tokenizer::load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw no_input_error(path + ": no such file (a tokenizer.json)");
  std::stringstream ss;
  ss << f.rdbuf();
  Tokenizer t = parse(ss.str(), path);
  const auto config = std::filesystem::path(path).parent_path() / "tokenizer_config.json";
  std::ifstream c(config);
  if (c) {
    std::stringstream cs;
    cs << c.rdbuf();
    const json j = json::parse(cs.str(), nullptr, false);
    if (j.is_object() && j.contains("eos_token")) {
      const json& e = j["eos_token"];
      const std::string name = e.is_string() ? e.get<std::string>() : e.is_object() && e.contains("content") && e["content"].is_string() ? e["content"].get<std::string>() : "";
      if (auto id = t.token_id(name)) t.impl_->eot = id;
    }
  }
  return t;
}

void Tokenizer::encode(std::string_view text, std::vector<uint32_t>& out, std::vector<size_t>* ends) const {
  if (size_t bad = invalid_utf8(text); bad != std::string_view::npos)
    throw data_error("text is not UTF-8 at byte " + std::to_string(bad));
  size_t pos = 0;
  while (pos < text.size()) {
    auto m = impl_->next_added(text, pos);
    if (!m) break;
    auto [a, begin, end] = *m;
    impl_->encode_segment(text.substr(pos, begin - pos), out, pos, ends);
    out.push_back(impl_->added[a].id);
    if (ends) ends->push_back(end);
    pos = end;
  }
  impl_->encode_segment(text.substr(pos), out, pos, ends);
}

std::vector<uint32_t> Tokenizer::encode(std::string_view text) const {
  std::vector<uint32_t> out;
  encode(text, out);
  return out;
}

std::string Tokenizer::decode(const std::vector<uint32_t>& ids) const {
  std::string out;
  for (uint32_t id : ids) {
    if (id >= impl_->known.size() || !impl_->known[id])
      throw data_error("token " + std::to_string(id) + " is not in the tokenizer's vocabulary (" +
                       std::to_string(impl_->size) + " ids)");
    out += impl_->id_text[id];
  }
  return out;
}

uint32_t Tokenizer::vocab_size() const { return impl_->size; }

std::optional<uint32_t> Tokenizer::token_id(const std::string& content) const {
  auto it = impl_->by_content.find(content);
  if (it == impl_->by_content.end()) return std::nullopt;
  return it->second;
}

std::optional<uint32_t> Tokenizer::end_of_text() const { return impl_->eot; }

std::vector<std::string> Tokenizer::special_tokens() const {
  std::vector<std::string> out;
  for (const AddedToken& a : impl_->added)
    if (a.special) out.push_back(a.content);
  return out;
}

}  // namespace saturn::tok
