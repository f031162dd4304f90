#include "tokenize/jsonl_data.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/data_files.h"
#include "core/error.h"
#include "core/file.h"
#include "core/hash.h"
#include "tokenize/cache_files.h"
#include "tokenize/chat_format.h"
#include "tokenize/examples.h"
#include "tokenize/records/record_source.h"
#include "tokenize/tokenizer.h"

namespace saturn::tok {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // records keep their key order (tool schemas, as json.loads)
namespace {

struct Tokenized {
  std::vector<uint32_t> ids;
  std::vector<uint8_t> mask;
  std::vector<size_t> start;  // record r: [start[r], start[r + 1])
};

struct Side {
  std::vector<uint32_t> ids;
  std::vector<uint8_t> mask;
  PackedSplit split;
};

// Records `which` of `t` laid out as samples (see the header).
Side lay_out(const Tokenized& t, const std::vector<size_t>& which, int64_t seq, bool packing, bool split_long,
             uint32_t pad) {
  Side s;
  const auto T = static_cast<size_t>(seq);
  auto push = [&](size_t b, size_t e) {
    s.ids.insert(s.ids.end(), t.ids.begin() + static_cast<std::ptrdiff_t>(b), t.ids.begin() + static_cast<std::ptrdiff_t>(e));
    s.mask.insert(s.mask.end(), t.mask.begin() + static_cast<std::ptrdiff_t>(b), t.mask.begin() + static_cast<std::ptrdiff_t>(e));
  };
  auto pad_to = [&](size_t n) {
    s.ids.resize(n, pad);
    s.mask.resize(n, 0);
  };
  for (size_t r : which) {
    const size_t b = t.start[r], e = t.start[r + 1];
    if (packing) {
      push(b, split_long ? e : std::min(e, b + T + 1));
      continue;
    }
    size_t at = b;
    do {  // samples of T + 1 ids, each after the first starting at its predecessor's last id
      const size_t end = std::min(e, at + T + 1);
      push(at, end);
      pad_to((s.ids.size() + T) / (T + 1) * (T + 1));
      at = end - 1;
    } while (split_long && at + 1 < e);
  }
  if (packing) {
    const size_t n = s.ids.size();
    const size_t samples = n >= 2 ? (n - 1 + T - 1) / T : 0;
    if (samples) pad_to(samples * T + 1);
    s.split.samples = static_cast<int64_t>(samples);
  } else {
    s.split.samples = static_cast<int64_t>(s.ids.size() / (T + 1));
  }
  s.split.records = static_cast<int64_t>(which.size());
  s.split.tokens = static_cast<int64_t>(s.ids.size());
  // Trained targets: every id but the first of each sample.
  const size_t stride = packing ? T : T + 1;
  for (size_t i = 0; i < static_cast<size_t>(s.split.samples); ++i)
    for (size_t k = 1; k <= T; ++k) s.split.trained += s.mask[i * stride + k];
  return s;
}

uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

json split_json(const PackedSplit& s) {
  return {{"records", s.records}, {"samples", s.samples}, {"tokens", s.tokens}, {"trained", s.trained}};
}

std::optional<PackedData> cached(const std::string& cache_dir, const std::string& key) {
  const fs::path meta_path = fs::path(cache_dir) / ("jsonl-" + key + ".json");
  std::error_code ec;
  if (!fs::is_regular_file(meta_path, ec)) return std::nullopt;
  const json m = json::parse(read_all(meta_path.string(), "token cache"), nullptr, false);
  if (!m.is_object() || !m.contains("train") || !m.contains("valid")) return std::nullopt;
  PackedData d;
  try {
    d.seq_len = m.at("seq_len").get<int64_t>();
    d.stride = m.at("stride").get<int64_t>();
    d.vocab = m.at("vocab").get<uint32_t>();
    d.bad_lines = m.at("bad_lines").get<int64_t>();
    d.first_bad = m.at("first_bad").get<std::string>();
    for (auto [name, s] : {std::pair<const char*, PackedSplit*>{"train", &d.train}, {"valid", &d.valid}}) {
      const json& j = m.at(name);
      s->records = j.at("records").get<int64_t>();
      s->samples = j.at("samples").get<int64_t>();
      s->tokens = j.at("tokens").get<int64_t>();
      s->trained = j.at("trained").get<int64_t>();
      s->ids_path = (fs::path(cache_dir) / ("jsonl-" + key + "." + name + ".u32")).string();
      s->mask_path = (fs::path(cache_dir) / ("jsonl-" + key + "." + name + ".mask")).string();
      if (fs::file_size(s->ids_path, ec) != static_cast<uintmax_t>(s->tokens) * 4 || ec ||
          fs::file_size(s->mask_path, ec) != static_cast<uintmax_t>(s->tokens) || ec)
        return std::nullopt;
    }
  } catch (const json::exception&) {
    return std::nullopt;
  }
  return d;
}

// One side's ids (little-endian uint32) and mask bytes into the cache entry KEY.
void write_side(const std::string& cache_dir, const std::string& key, const char* name, const Side& side,
                PackedSplit* split) {
  split->ids_path = (fs::path(cache_dir) / ("jsonl-" + key + "." + name + ".u32")).string();
  split->mask_path = (fs::path(cache_dir) / ("jsonl-" + key + "." + name + ".mask")).string();
  std::string bytes(side.ids.size() * 4, '\0');
  for (size_t i = 0; i < side.ids.size(); ++i)
    for (int b = 0; b < 4; ++b) bytes[4 * i + static_cast<size_t>(b)] = static_cast<char>((side.ids[i] >> (8 * b)) & 0xFF);
  write_file_atomic(split->ids_path, bytes);
  write_file_atomic(split->mask_path, std::string(side.mask.begin(), side.mask.end()));
}

// The day `now` falls on (local time), for cache keys of templates that read the clock.
std::string day_of(std::time_t now) {
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace

PackOptions pack_options(const DataSpec& d, const DataSource& s, int64_t seq_len, bool write) {
  PackOptions o;
  o.seq_len = seq_len;
  o.valid_fraction = d.valid || &s != &d.train ? 0 : d.valid_fraction;
  o.seed = static_cast<uint64_t>(s.seed);
  o.write = write;
  o.chat_time = static_cast<std::time_t>(d.chat_time);
  return o;
}

PackedData packed_jsonl(const std::string& path, const std::string& tokenizer_path, const JsonlSpec& spec,
                        const PackOptions& o, const std::string& cache_dir) {
  std::error_code ec;
  // Every file the path names (shards, a datasets folder) keys the stat lookup.
  std::vector<std::string> files = data_files(path, spec.reader);
  const std::string config = (fs::path(tokenizer_path).parent_path() / "tokenizer_config.json").string();
  const bool has_config = fs::is_regular_file(config, ec);
  // Newer folders keep the chat template beside it, in chat_template.jinja.
  const std::string jinja = (fs::path(tokenizer_path).parent_path() / "chat_template.jinja").string();
  const bool has_jinja = fs::is_regular_file(jinja, ec);
  const bool has_file = is_template_file(spec.chat_template);
  if (has_file && !fs::is_regular_file(spec.chat_template, ec))
    throw no_input_error(spec.chat_template + ": no such file (the chat template)");
  const std::string config_bytes = has_config ? read_all(config, "tokenizer_config.json") : "";
  const std::string jinja_bytes = has_jinja ? read_all(jinja, "chat_template.jinja") : "";
  const std::string file_bytes = has_file ? read_all(spec.chat_template, "a chat template") : "";
  // A template that reads the clock (strftime_now) renders the run's pinned day.
  const std::time_t now = o.chat_time ? o.chat_time : std::time(nullptr);
  const bool clock = (config_bytes + jinja_bytes + file_bytes).find("strftime_now") != std::string::npos;
  const std::string options = "seq=" + std::to_string(o.seq_len) + "|fraction=" + std::to_string(o.valid_fraction) +
                              "|seed=" + std::to_string(o.seed) + "|" + canonical(spec) + "|v2" +
                              (clock ? "|day=" + day_of(now) : "");
  files.push_back(tokenizer_path);
  if (has_config) files.push_back(config);
  if (has_jinja) files.push_back(jinja);
  if (has_file) files.push_back(spec.chat_template);
  if (!spec.tools.empty()) files.push_back(spec.tools);
  const std::string stats = stat_text(files);
  const std::string by_stat = (fs::path(cache_dir) / ("stat-" + content_hash(stats + options) + ".key")).string();
  if (!stats.empty() && fs::is_regular_file(by_stat, ec))
    if (auto hit = cached(cache_dir, read_all(by_stat, "token cache"))) return *hit;

  // Records, rendered and tokenized as they are read.
  const std::string tokenizer_bytes = read_all(tokenizer_path, "a tokenizer.json");
  ExampleMaker maker(tokenizer_path, spec, now);
  PackedData out;
  out.seq_len = o.seq_len;
  out.stride = spec.packing ? o.seq_len : o.seq_len + 1;
  out.vocab = maker.tokenizer().vocab_size();
  Tokenized tk;
  Example x;
  const uint64_t hash = open_records(path, spec.reader)->each([&](Record& rec) {
    try {
      if (!rec.error.empty()) throw BadRecord(rec.error);
      maker.make(rec.value, rec.where, x);
      tk.start.push_back(tk.ids.size());
      tk.ids.insert(tk.ids.end(), x.ids.begin(), x.ids.end());
      tk.mask.insert(tk.mask.end(), x.trained.begin(), x.trained.end());
    } catch (const BadRecord& e) {
      if (!spec.skip_bad_lines) throw data_error(rec.where + ": " + e.what());
      if (out.bad_lines++ == 0) out.first_bad = rec.where + ": " + e.what();
    }
  });
  const uint32_t eot = maker.end_of_text();
  if (tk.start.empty()) {
    if (out.bad_lines == 0) throw data_error(path + ": no records (an empty file)");
    throw data_error(path + ": no good records (" + std::to_string(out.bad_lines) + " bad lines skipped; the first: " + out.first_bad + ")");
  }
  tk.start.push_back(tk.ids.size());

  // Which records are held out: the first v of a seeded permutation.
  const size_t n = tk.start.size() - 1;
  const auto v = static_cast<size_t>(o.valid_fraction > 0 ? held_out(static_cast<int64_t>(n), o.valid_fraction) : 0);
  std::vector<size_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  uint64_t state = splitmix(o.seed ^ 0x6a736f6e6cull);
  for (size_t i = n - 1; i > 0; --i) {
    state = splitmix(state);
    std::swap(perm[i], perm[static_cast<size_t>((static_cast<unsigned __int128>(state) * (i + 1)) >> 64)]);
  }
  std::vector<bool> held(n, false);
  for (size_t i = 0; i < v; ++i) held[perm[i]] = true;
  std::vector<size_t> train_records, valid_records;
  for (size_t r = 0; r < n; ++r) (held[r] ? valid_records : train_records).push_back(r);
  Side train = lay_out(tk, train_records, o.seq_len, spec.packing, spec.split_long, eot);
  Side valid = lay_out(tk, valid_records, o.seq_len, spec.packing, spec.split_long, eot);
  out.train = train.split;
  out.valid = valid.split;
  out.made = true;
  if (!o.write) return out;

  const std::string key = content_hash(std::to_string(hash) + "|tokenizer=" + content_hash(tokenizer_bytes) +
                                       "|config=" + content_hash(config_bytes) + "|jinja=" + content_hash(jinja_bytes) +
                                       (has_file ? "|template=" + content_hash(file_bytes) : "") +
                                       (spec.tools.empty() ? "" : "|tools=" + content_hash(read_all(spec.tools, "data.tools"))) +
                                       "|" + options);
  write_side(cache_dir, key, "train", train, &out.train);
  write_side(cache_dir, key, "valid", valid, &out.valid);
  const json meta = {{"seq_len", out.seq_len}, {"stride", out.stride},     {"vocab", out.vocab},
                     {"bad_lines", out.bad_lines}, {"first_bad", out.first_bad}, {"train", split_json(out.train)},
                     {"valid", split_json(out.valid)}, {"file", path},      {"tokenizer", tokenizer_path}};
  write_file_atomic((fs::path(cache_dir) / ("jsonl-" + key + ".json")).string(), meta.dump(2) + "\n");
  if (!stats.empty()) write_file_atomic(by_stat, key);
  return out;
}

}  // namespace saturn::tok
