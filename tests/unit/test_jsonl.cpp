// JSON Lines data (tok::packed_jsonl): records rendered and masked, packed or
// padded, split by record, cached; bad records one line each. The chat
// formats against transformers' apply_chat_template (tests/unit/tokenizer/
// chat_reference.py, with the test Python: SATURN_PYTHON).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "file_bytes.h"
#include "temp_dir.h"
#include "tokenize/chat_format.h"
#include "tokenize/jsonl_data.h"
#include "tokenize/tokenizer.h"
#include "source_dir.h"

using namespace saturn;
using namespace saturn::tok;
using saturn::test::read_u32;
using saturn::test::slurp;
namespace fs = std::filesystem;

namespace {

// A byte-level tokenizer: one id per printable ASCII byte (the ByteLevel
// alphabet maps them to themselves), <eot> = 200; no merges.
std::string byte_tokenizer() {
  nlohmann::json vocab = nlohmann::json::object();
  for (int c = 33; c < 127; ++c) vocab[std::string(1, static_cast<char>(c))] = c;
  vocab["\xC4\xA0"] = 32;  // Ġ: the space
  vocab["\xC4\x8A"] = 10;  // Ċ: the newline
  nlohmann::json t = {{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", nlohmann::json::array()}}},
                      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}}},
                      {"added_tokens", {{{"id", 200}, {"content", "<eot>"}, {"special", true}}}}};
  return t.dump();
}

struct Fixture {
  test::TempDir dir{"jsonl"};
  fs::path tokenizer = dir.path / "tok" / "tokenizer.json", cache = dir.path / "cache";
  Fixture() {
    fs::create_directories(tokenizer.parent_path());
    std::ofstream(tokenizer) << byte_tokenizer();
    std::ofstream(tokenizer.parent_path() / "tokenizer_config.json") << R"({"eos_token": "<eot>"})";
  }
  std::string file(const std::string& name, const std::string& text) {
    std::ofstream((dir.path / name).string(), std::ios::binary) << text;
    return (dir.path / name).string();
  }
  PackedData pack(const std::string& path, const JsonlSpec& spec, int64_t seq, double fraction = 0, bool write = true) {
    PackOptions o;
    o.seq_len = seq;
    o.valid_fraction = fraction;
    o.write = write;
    return packed_jsonl(path, tokenizer.string(), spec, o, cache.string());
  }
};

// ids as text ("|" for <eot>, "_" for padding after it) and the mask.
std::string text_of(const std::vector<uint32_t>& ids) {
  std::string s;
  for (uint32_t i : ids) s += i == 200 ? '|' : static_cast<char>(i);
  return s;
}
std::string mask_of(const std::string& path) {
  std::string s;
  for (char c : slurp(path)) s += c ? '1' : '0';
  return s;
}

}  // namespace

TEST_CASE("jsonl: prompt/completion records train on the completion only, packed into full sequences") {
  Fixture f;
  const std::string path = f.file("pairs.jsonl", R"({"prompt": "Q:ab ", "completion": "cd"}
{"prompt": "Q:e ", "completion": "fgh"}

{"prompt": "Q:x ", "completion": "y"}
)");
  const PackedData d = f.pack(path, {}, 4);
  CHECK(d.train.records == 3);
  CHECK(d.valid.records == 0);
  CHECK(d.stride == 4);
  // Stream: Q:ab cd| Q:e fgh| Q:x y| = 22 ids; (22 - 1) / 4 -> 6 samples, padded to 25 ids.
  CHECK(text_of(read_u32(d.train.ids_path)) == "Q:ab cd|Q:e fgh|Q:x y||||");
  CHECK(mask_of(d.train.mask_path) == "0000011100001111000011000");
  CHECK(d.train.samples == 6);
  CHECK(d.train.tokens == 25);
  CHECK(d.train.trained == 3 + 4 + 2);
  // Not packed: one example per sample of 5 ids, padded (untrained), a long
  // one split into samples that overlap by one id ...
  JsonlSpec padded;
  padded.packing = false;
  const PackedData p = f.pack(path, padded, 4);
  CHECK(p.stride == 5);
  CHECK(text_of(read_u32(p.train.ids_path)) == "Q:ab  cd||Q:e ffgh||Q:x yy||||");
  CHECK(mask_of(p.train.mask_path) == "000000111000001111100000111000");
  CHECK(p.train.samples == 6);
  // ... or cut.
  padded.split_long = false;
  CHECK(text_of(read_u32(f.pack(path, padded, 4).train.ids_path)) == "Q:ab Q:e fQ:x y");
  padded.split_long = true;
  const std::string one = f.file("one.jsonl", R"({"prompt": "", "completion": "abcdefgh"})" "\n");
  CHECK(text_of(read_u32(f.pack(one, padded, 4).train.ids_path)) == "abcdeefgh|");
  padded.split_long = false;
  CHECK(text_of(read_u32(f.pack(one, padded, 4).train.ids_path)) == "abcde");
}

TEST_CASE("jsonl: documents, Alpaca records, templates, fields found from the first record") {
  Fixture f;
  const std::string docs = f.file("docs.jsonl", R"({"text": "ab", "id": 1})" "\n" R"({"text": "c"})" "\n");
  const PackedData d = f.pack(docs, {}, 2);
  CHECK(text_of(read_u32(d.train.ids_path)) == "ab|c|");
  CHECK(mask_of(d.train.mask_path) == "11111");
  const std::string alpaca =
      f.file("alpaca.jsonl", R"({"instruction": "Do", "input": "x", "output": "ok"})" "\n"
                             R"({"instruction": "Go", "input": "", "output": "k"})" "\n");
  const PackedData a = f.pack(alpaca, {}, 32);
  CHECK(text_of(read_u32(a.train.ids_path)).substr(0, 12) == "Do\n\nxok|Gok|");
  JsonlSpec t;
  t.chat_template = "### {prompt}\n> {completion}!";
  const PackedData c = f.pack(alpaca, t, 32);
  CHECK(text_of(read_u32(c.train.ids_path)).substr(0, 16) == "### Do\n\nx\n> ok!|");
  CHECK(mask_of(c.train.mask_path).substr(0, 16) == "0000000000001111");
}

TEST_CASE("jsonl: validation holds out whole records, seeded, and every id is a target once per epoch") {
  Fixture f;
  std::string text;
  for (int i = 0; i < 40; ++i) text += R"({"text": "r)" + std::to_string(i) + R"(x"})" "\n";
  const std::string path = f.file("many.jsonl", text);
  const PackedData d = f.pack(path, {}, 8, 0.25);
  CHECK(d.valid.records == 10);
  CHECK(d.train.records == 30);
  const std::string train = text_of(read_u32(d.train.ids_path)), valid = text_of(read_u32(d.valid.ids_path));
  std::set<std::string> seen;
  for (const std::string& side : {train, valid}) {
    std::stringstream ss(side);
    std::string rec;
    while (std::getline(ss, rec, '|'))
      if (!rec.empty()) CHECK(seen.insert(rec).second);  // no record on both sides, none twice
  }
  CHECK(seen.size() == 40);
  // Targets: every id after the first of the stream once (the padding untrained).
  const std::string m = mask_of(d.train.mask_path);
  int64_t real = 0;
  for (size_t i = 1; i < train.size(); ++i) real += m[i] == '1';
  CHECK(d.train.trained == real);
  CHECK(static_cast<int64_t>(train.find_last_not_of('|')) + 2 - 1 == d.train.trained);
  // Another seed holds out other records; the same seed the same ones.
  CHECK(text_of(read_u32(f.pack(path, {}, 8, 0.25).valid.ids_path)) == valid);
}

TEST_CASE("jsonl: the result is cached once, and counting writes nothing") {
  Fixture f;
  const std::string path = f.file("d.jsonl", R"({"text": "abc"})" "\n");
  const PackedData counted = f.pack(path, {}, 2, 0, false);
  CHECK(counted.made);
  CHECK(counted.train.ids_path.empty());
  CHECK_FALSE(fs::exists(f.cache));
  const PackedData made = f.pack(path, {}, 2);
  CHECK(made.made);
  CHECK(made.train.samples == counted.train.samples);
  const PackedData again = f.pack(path, {}, 2);
  CHECK_FALSE(again.made);
  CHECK(again.train.ids_path == made.train.ids_path);
  CHECK_FALSE(f.pack(path, {}, 2, 0, false).made);
  CHECK(f.pack(path, {}, 3).made);  // another seq_len: another entry
}

TEST_CASE("jsonl: a bad record is one line naming file:line and the field, and skip_bad_lines counts them") {
  Fixture f;
  auto error = [&](const std::string& text, JsonlSpec spec = {}) {
    const std::string path = f.file("bad.jsonl", text);
    try {
      f.pack(path, spec, 4);
    } catch (const Error& e) {
      CHECK(e.exit_code() == 65);
      std::string what = e.what();
      return what.find("bad.jsonl") == std::string::npos ? what : what.substr(what.find("bad.jsonl"));
    }
    return std::string("no error");
  };
  CHECK(error("{\"text\": \"a\"}\n{\"text\": \"b\"\n") == "bad.jsonl:2: not JSON (at byte 13)");
  CHECK(error("{\"text\": \"a\"}\n{\"txt\": \"b\"}\n") == "bad.jsonl:2: text: missing");
  CHECK(error("{\"text\": \"a\"}\n{\"text\": 3}\n") == "bad.jsonl:2: text: expected a string, got a number");
  CHECK(error("[1]\n") == "bad.jsonl:1: expected an object, got a list");
  CHECK(error("{\"body\": \"a\"}\n") ==
        "bad.jsonl:1: no known fields (text; prompt and completion; instruction and output; messages; conversations): "
        "name them in fields");
  CHECK(error(R"({"messages": [{"role": "user", "content": "a"}, {"role": "assistant"}]})" "\n", [] {
          JsonlSpec s;
          s.chat_template = "chatml";
          return s;
        }()) == "bad.jsonl:1: messages[1].content: missing");
  CHECK(error(R"({"messages": [{"role": "user", "content": "a"}]})" "\n") ==
        "bad.jsonl:1: chats need a chat template: the tokenizer's folder has none (no chat_template in "
        "tokenizer_config.json, no chat_template.jinja); name one: template chatml, llama3 or FILE.jinja");
  JsonlSpec chatml;
  chatml.chat_template = "chatml";
  CHECK(error(R"({"messages": [{"role": "user", "content": 3}]})" "\n", chatml) ==
        "bad.jsonl:1: messages[0].content: expected a string or a list of parts, got a number");
  CHECK(error(R"({"messages": [{"role": "user", "content": null}]})" "\n", chatml) == "bad.jsonl:1: messages[0].content: missing");
  CHECK(error(R"({"messages": [{"role": "user", "content": "a"}], "tools": 3})" "\n", chatml) ==
        "bad.jsonl:1: tools: expected a list, got a number");
  // The template's own refusal: the record, then the template's position and words.
  JsonlSpec strict;
  strict.chat_template = f.file("strict.jinja",
                                "{% for m in messages %}{% if m.role != 'user' %}\n"
                                "{{ raise_exception('only user turns') }}{% endif %}{{ m.content }}{% endfor %}");
  CHECK(error(R"({"messages": [{"role": "user", "content": "a"}]})" "\n"
              R"({"messages": [{"role": "assistant", "content": "b"}]})" "\n", strict) ==
        "bad.jsonl:2: " + strict.chat_template + ":2:19: raise_exception: only user turns");
  JsonlSpec broken;
  broken.chat_template = f.file("broken.jinja", "{% for m in messages %}{{ m.content }}");
  CHECK(error(R"({"messages": [{"role": "user", "content": "a"}]})" "\n", broken) ==
        broken.chat_template + ":1:39: the template ends inside a block: expected {% endfor %}");
  CHECK(error("") == "bad.jsonl: no records (an empty file)");
  CHECK(error("\n  \n") == "bad.jsonl: no records (an empty file)");
  JsonlSpec skip;
  skip.skip_bad_lines = true;
  const std::string path = f.file("some.jsonl", "{\"text\": \"a\"}\nnope\n{\"text\": 1}\n{\"text\": \"b\"}\n");
  PackOptions o;
  o.seq_len = 2;
  const PackedData d = packed_jsonl(path, f.tokenizer.string(), skip, o, f.cache.string());
  CHECK(d.bad_lines == 2);
  CHECK(d.first_bad == path + ":2: not JSON (at byte 2)");
  CHECK(d.train.records == 2);
  CHECK(error("nope\n", skip) == "bad.jsonl: no good records (1 bad lines skipped; the first: " + (f.dir.path / "bad.jsonl").string() + ":1: not JSON (at byte 2))");
}

TEST_CASE("jsonl: a line over the limit is refused without holding it") {
  Fixture f;
  const std::string path = (f.dir.path / "huge.jsonl").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << "{\"text\": \"";
    const std::string chunk(1 << 20, 'a');
    for (int64_t i = 0; i <= kMaxJsonlLine >> 20; ++i) out << chunk;
    out << "\"}\n";
  }
  CHECK_THROWS_WITH(f.pack(path, {}, 4), path + ":1: a line of over 64 MiB (each record is one line, at most that long)");
}

// Packs DIR/chats.jsonl (one chat per padded sample) under DIR's tokenizer
// and checks each chat's ids and mask against DIR/expected.jsonl ({"ids",
// "mask"} per line, from transformers); returns the chats checked.
static size_t check_expected_chats(const fs::path& dir, JsonlSpec spec, const fs::path& cache) {
  spec.packing = false;
  PackOptions o;
  o.seq_len = 8192;
  const PackedData p = packed_jsonl((dir / "chats.jsonl").string(), (dir / "tokenizer.json").string(), spec, o, cache.string());
  const std::vector<uint32_t> ids = read_u32(p.train.ids_path);
  const std::string mask = slurp(p.train.mask_path);
  const Tokenizer t = Tokenizer::load((dir / "tokenizer.json").string());
  auto text = [&](const std::vector<uint32_t>& v, size_t from, size_t to) {
    return from < v.size() ? t.decode({v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(std::min(v.size(), to))}) : "";
  };
  std::ifstream expected(dir / "expected.jsonl");
  std::string line;
  size_t chat = 0;
  while (std::getline(expected, line)) {
    INFO("chat " << chat);
    const auto e = nlohmann::json::parse(line);
    const auto want = e["ids"].get<std::vector<uint32_t>>();
    const auto want_mask = e["mask"].get<std::vector<int>>();
    const size_t at = chat * static_cast<size_t>(o.seq_len + 1);
    REQUIRE(want.size() < static_cast<size_t>(o.seq_len));
    const std::vector<uint32_t> got(ids.begin() + static_cast<std::ptrdiff_t>(at), ids.begin() + static_cast<std::ptrdiff_t>(at + want.size()));
    size_t first = 0;
    while (first < want.size() && got[first] == want[first]) ++first;
    INFO("first id difference at " << first << ": saturn <" << text(got, first, first + 8) << "> transformers <"
                                   << text(want, first, first + 8) << ">");
    CHECK(got == want);
    std::vector<int> got_mask;
    for (size_t i = 0; i < want.size(); ++i) got_mask.push_back(mask[at + i]);
    size_t diff = 0;
    while (diff < want.size() && got_mask[diff] == want_mask[diff]) ++diff;
    INFO("first mask difference at " << diff << ": ids around it <" << text(want, diff > 3 ? diff - 3 : 0, diff + 4) << ">");
    CHECK(got_mask == want_mask);
    ++chat;
  }
  return chat;
}

TEST_CASE("jsonl: chatml and llama3 chats give apply_chat_template's ids and assistant masks", "[reference]") {
  const char* py = std::getenv("SATURN_PYTHON");
  if (!py || !*py) {
    WARN("SATURN_PYTHON is not set: the reference check needs the test Python (scripts/setup.sh --test)");
    return;
  }
  test::TempDir d("chatref");
  const std::string cmd = std::string("'") + py + "' '" + source_dir() + "/tests/unit/tokenizer/chat_reference.py' '" +
                          d.path.string() + "' >/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  for (const char* format : {"chatml", "llama3"}) {
    for (const char* templ : {"", "chatml", "llama3"}) {
      if (*templ && std::string(templ) != format) continue;
      INFO(format << " template '" << templ << "'");
      JsonlSpec spec;
      spec.chat_template = templ;  // "": the tokenizer_config.json chat_template
      CHECK(check_expected_chats(d.path / format, spec, d.path / "cache") == 20);
    }
  }
}

TEST_CASE("jsonl: real chat templates (Qwen2.5, Llama 3.2, Mistral v0.3, Gemma 2, Phi-3.5, SmolLM2, DeepSeek-R1 distill, "
          "ChatML, generation blocks) give apply_chat_template's ids and the reference mask", "[reference]") {
  const char* py = std::getenv("SATURN_PYTHON");
  if (!py || !*py) {
    WARN("SATURN_PYTHON is not set: the reference check needs the test Python (scripts/setup.sh --test)");
    return;
  }
  test::TempDir d("templref");
  const std::string cmd = std::string("'") + py + "' '" + source_dir() + "/tests/unit/tokenizer/template_reference.py' '" +
                          d.path.string() + "' >/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  int families = 0;
  for (const auto& entry : fs::directory_iterator(d.path)) {
    if (!entry.is_directory()) continue;
    INFO(entry.path().filename().string());
    ++families;
    CHECK(check_expected_chats(entry.path(), {}, d.path / "cache") == 36);
  }
  CHECK(families == 9);
}

TEST_CASE("jsonl: the same chats as JSON Lines, a JSON array, ShareGPT, renamed fields, parquet, Arrow, a datasets folder "
          "and CSV pairs give the same ids and masks",
          "[reference]") {
  const char* py = std::getenv("SATURN_PYTHON");
  if (!py || !*py) {
    WARN("SATURN_PYTHON is not set: the reference check needs the test Python (scripts/setup.sh --test)");
    return;
  }
  test::TempDir d("formats");
  const std::string cmd = std::string("'") + py + "' '" + source_dir() + "/tests/unit/tokenizer/formats_reference.py' '" +
                          d.path.string() + "' >/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const std::string tokenizer = (d.path / "model" / "tokenizer.json").string();
  auto pack = [&](const std::string& file, JsonlSpec spec) {
    spec.packing = false;
    PackOptions o;
    o.seq_len = 2048;
    o.write = true;
    const PackedData p = packed_jsonl((d.path / file).string(), tokenizer, spec, o, (d.path / "cache").string());
    CHECK(p.train.records == 40);
    return std::make_pair(read_u32(p.train.ids_path), slurp(p.train.mask_path));
  };
  auto reader = [](const char* r) {
    JsonlSpec s;
    s.reader = r;
    return s;
  };
  const auto chats = pack("chats.jsonl", {});
  CHECK(pack("chats.json", reader("json")) == chats);
  CHECK(pack("sharegpt.jsonl", {}) == chats);
  CHECK(pack("sharegpt.json", reader("json")) == chats);
  JsonlSpec renamed;
  renamed.messages = "turns";
  renamed.role = "speaker";
  renamed.content = "text";
  renamed.roles = {{"customer", "user"}, {"agent", "assistant"}, {"setup", "system"}};
  CHECK(pack("renamed.jsonl", renamed) == chats);
  JsonlSpec tools;  // data.tools: what records without their own tools get
  tools.tools = (d.path / "tools.json").string();
  const auto with_tools = pack("chats_tools.jsonl", {});
  CHECK(with_tools != chats);
  CHECK(pack("chats.jsonl", tools) == with_tools);
  CHECK(pack("chats.parquet", reader("parquet")) == chats);
  CHECK(pack("sharegpt.parquet", reader("parquet")) == chats);
  CHECK(pack("shards/train-*.parquet", reader("parquet")) == chats);   // a glob of shards, in name order
  CHECK(pack("shards", reader("parquet")) == chats);                   // a folder of them
  CHECK(pack("chats.feather", reader("arrow")) == chats);              // the IPC file form, LZ4
  CHECK(pack("sharegpt_ds", reader("arrow")) == chats);                // datasets' save_to_disk, two stream files
  const auto pairs = pack("pairs.jsonl", {});
  CHECK(pack("pairs.json", reader("json")) == pairs);
  CHECK(pack("pairs.csv", reader("csv")) == pairs);
  CHECK(pack("pairs.parquet", reader("parquet")) == pairs);  // zstd
  // A pair under a chat model is a user and an assistant turn of its template; template none keeps them plain.
  const auto [ids, mask] = pairs;
  const Tokenizer t = Tokenizer::load(tokenizer);
  // (enough ids for the text whatever merges the tokenizer, trained on the repository, learned)
  CHECK(t.decode({ids.begin(), ids.begin() + 40}).rfind("<|im_start|>system\nYou are Qwen", 0) == 0);
  JsonlSpec plain;
  plain.chat_template = "none";
  CHECK(pack("pairs.jsonl", plain) != pairs);

  // Bad rows and files: one line each.
  Fixture f;
  auto error = [&](const std::string& name, const std::string& text, JsonlSpec spec) {
    const std::string path = f.file(name, text);
    try {
      f.pack(path, spec, 4);
    } catch (const Error& e) {
      const std::string what = e.what();
      return what.substr(what.find(name));
    }
    return std::string("no error");
  };
  CHECK(error("bad.csv", "prompt,completion\na,b\nc\n\"d,\"e\n", reader("csv")) == "bad.csv:3: 1 fields, the header has 2");
  CHECK(error("open.csv", "prompt,completion\na,\"b\n", reader("csv")) == "open.csv:2: a quoted field is not closed");
  CHECK(error("obj.json", "{\"text\": \"a\"}", reader("json")) ==
        "obj.json: expected a list of records, got an object (JSON Lines: format jsonl)");
  CHECK(error("broken.json", "[{\"text\": \"a\"},", reader("json")) == "broken.json: not JSON (at byte 16)");
  CHECK(error("rec.json", "[{\"text\": \"a\"}, {\"text\": 3}]", reader("json")) == "rec.json: record 2: text: expected a string, got a number");
  auto file_error = [&](const std::string& name, const char* r) {
    try {
      f.pack((d.path / name).string(), reader(r), 4);
    } catch (const Error& e) {
      const std::string what = e.what();
      return what.substr(what.find(name));
    }
    return std::string("no error");
  };
  CHECK(file_error("bad.parquet", "parquet") == "bad.parquet: row 2: text: expected a string, got null");
  CHECK(file_error("bad_binary.parquet", "parquet") == "bad_binary.parquet: row 2: text: not UTF-8 text");
  CHECK(file_error("chats.jsonl", "parquet").rfind("chats.jsonl: not a parquet file (", 0) == 0);
  CHECK(file_error("chats.jsonl", "arrow").rfind("chats.jsonl: not an Arrow IPC stream or file (", 0) == 0);
  CHECK(file_error("dict_ds", "arrow") == "dict_ds: a datasets DatasetDict folder (splits train, test): name one split's folder, "
                                          "e.g. " + (d.path / "dict_ds" / "train").string());
  CHECK(file_error("shards/none-*.parquet", "parquet") == "shards/none-*.parquet: no file matches");
  CHECK(file_error("model", "parquet") == "model: no *.parquet files in the folder");
  JsonlSpec roles;
  roles.chat_template = "chatml";
  CHECK(error("roles.jsonl", R"({"conversations": [{"from": "human", "value": "a"}, {"from": "bot", "value": "b"}]})" "\n", roles) ==
        "roles.jsonl:1: conversations[1].from: \"bot\" is not a role the data's names map (human, gpt, system, tool, "
        "observation, function_call): map it in fields.roles");
}
