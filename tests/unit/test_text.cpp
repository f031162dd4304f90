#include <catch2/catch.hpp>

#include "core/hash.h"
#include "core/text.h"

using namespace saturn;

TEST_CASE("edit distance") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("lr", "lrr") == 1);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("did_you_mean suggests near names and unique prefixes only") {
  std::vector<std::string> keys = {"lr", "batch_size", "weight_decay", "warmup"};
  CHECK(did_you_mean("lrr", keys) == "lr");
  CHECK(did_you_mean("batchsize", keys) == "batch_size");
  CHECK(did_you_mean("Warmup", keys) == "warmup");
  CHECK(did_you_mean("zzzzzz", keys) == "");
  std::vector<std::string> gpus = {"A100-40GB", "A100-80GB", "H100-80GB", "H200"};
  CHECK(did_you_mean("H100", gpus) == "H100-80GB");
  CHECK(did_you_mean("A100", gpus) == "");  // two candidates start with it
}

TEST_CASE("format_number is short and exact") {
  CHECK(format_number(16) == "16");
  CHECK(format_number(0.1) == "0.1");
  CHECK(format_number(3e-4) == "3e-4");
  CHECK(format_number(1e-3) == "1e-3");
  CHECK(format_number(0.01) == "0.01");
  CHECK(format_number(1e-5) == "1e-5");
  CHECK(format_number(2.5e6) == "2.5e6");
  CHECK(format_number(1e20) == "1e20");
  CHECK(format_number(-0.5) == "-0.5");
  CHECK(format_number(0) == "0");
  for (double v : {3e-4, 0.1, 1.0 / 3, 123456.789, 6.02e23, 1e-300})
    CHECK(std::stod(format_number(v)) == v);
}

TEST_CASE("quoted escapes") {
  CHECK(quoted("fast") == "\"fast\"");
  CHECK(quoted("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(quoted(std::string("\n", 1)) == "\"\\x0a\"");
}

TEST_CASE("content hashes are stable") {
  CHECK(content_hash("") == "cbf29ce484222325");
  CHECK(content_hash("a") == "af63dc4c8601ec8c");
  CHECK(content_hash("abc") != content_hash("abd"));
}

TEST_CASE("printable UTF-8") {
  CHECK(printable_utf8("data/corpus.txt"));
  CHECK(printable_utf8("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(printable_utf8("a\nb"));
  CHECK_FALSE(printable_utf8("a\x1c"));
  CHECK_FALSE(printable_utf8("\xff"));
  CHECK_FALSE(printable_utf8("\xc0\xaf"));        // overlong '/'
  CHECK_FALSE(printable_utf8("\xed\xa0\x80"));    // surrogate
  CHECK_FALSE(printable_utf8("\xe2\x82"));        // truncated
}

TEST_CASE("excerpt cuts at a character boundary") {
  CHECK(excerpt("abc", 5) == "abc");
  CHECK(excerpt("abcdef", 3) == "abc...");
  CHECK(excerpt("a\xc3\xa9", 2) == "a...");
}
