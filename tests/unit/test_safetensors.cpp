// safetensors (core/safetensors.h): round trips, dtype conversions, and
// every header rule on files broken one way at a time; each broken file is
// one Data error naming the file and the tensor. With SATURN_PYTHON set
// (ctest sets it), files written by the reference `safetensors` library
// are read here and files written here are read by it.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/safetensors.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace saturn;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
void spit(const std::string& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

// A file from a header text and `data` bytes.
std::string raw_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

StWrite f32(const std::string& name, std::vector<int64_t> shape, std::vector<float> v) {
  return {name, StDtype::F32, std::move(shape), [v](char* dst) { std::memcpy(dst, v.data(), v.size() * 4); }};
}

std::string error_of(const std::string& path) {
  try {
    SafetensorsFile f(path);
  } catch (const Error& e) {
    return std::to_string(e.exit_code()) + " " + e.what();
  }
  return "ok";
}

}  // namespace

TEST_CASE("safetensors: write, read back, metadata, lazy float32 reads") {
  test::TempDir d("safetensors");
  const std::string p = (d.path / "m.safetensors").string();
  std::vector<uint16_t> halves = {float_to_half(1.5f), float_to_half(-2.0f), float_to_half(65504.0f)};
  std::vector<uint16_t> bfs = {float_to_bf16(3.0f), float_to_bf16(-0.5f)};
  write_safetensors(p,
                    {f32("a.weight", {2, 3}, {1, 2, 3, 4, 5, 6}),
                     {"b", StDtype::F16, {3}, [&](char* dst) { std::memcpy(dst, halves.data(), 6); }},
                     {"c", StDtype::BF16, {2}, [&](char* dst) { std::memcpy(dst, bfs.data(), 4); }},
                     {"empty", StDtype::F32, {0, 4}, {}}},
                    {{"format", "pt"}});
  const std::string bytes = slurp(p);
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  CHECK(n % 8 == 0);  // padded as the reference writer does
  SafetensorsFile f(p);
  REQUIRE(f.tensors().size() == 4);
  CHECK(f.metadata().at("format") == "pt");
  const StTensor* a = f.find("a.weight");
  REQUIRE(a);
  CHECK(a->shape == std::vector<int64_t>{2, 3});
  CHECK(f.read_f32(*a) == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(f.read_f32(*f.find("b")) == std::vector<float>{1.5f, -2.0f, 65504.0f});
  CHECK(f.read_f32(*f.find("c")) == std::vector<float>{3.0f, -0.5f});
  CHECK(f.find("empty")->numel() == 0);
  CHECK(f.find("nope") == nullptr);
  f.drop(*a);
  CHECK(f.read_f32(*a)[5] == 6);  // read again from the file after drop
  CHECK_THROWS_WITH(write_safetensors(p, {f32("x", {1}, {1}), f32("x", {1}, {2})}),
                    "safetensors: tensor name \"x\" is reserved or given twice");
}

TEST_CASE("safetensors: half and bfloat16 conversions are exact and round to nearest even") {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    REQUIRE(float_to_half(f) == h);  // every half survives the round trip
  }
  CHECK(half_to_float(0x0001) == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(half_to_float(0x3c00) == 1.0f);
  CHECK(std::isinf(half_to_float(0x7c00)));
  CHECK(float_to_half(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);          // tie: to even
  CHECK(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);      // tie: to even (up)
  CHECK(float_to_half(70000.0f) == 0x7c00);
  CHECK(bf16_to_float(0x3f80) == 1.0f);
  CHECK(float_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3f80);           // tie: to even
  CHECK(float_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3f82);
  CHECK(std::isnan(bf16_to_float(float_to_bf16(NAN))));
}

TEST_CASE("safetensors: every broken header is one Data error naming the file and the tensor") {
  test::TempDir d("safetensors-bad");
  const std::string p = (d.path / "bad.safetensors").string();
  const std::string ok = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  auto check = [&](const std::string& bytes, const std::string& expected) {
    spit(p, bytes);
    CHECK(error_of(p) == "65 " + p + expected);
  };
  spit(p, raw_file(ok, std::string(8, '\0')));
  CHECK(error_of(p) == "ok");
  check("abc", ": not a safetensors file: shorter than its 8-byte header length");
  check(raw_file(ok, std::string(8, '\0')).substr(0, 30),
        ": not a safetensors file: header length 54 runs past the end of the file (30 bytes; truncated?)");
  std::string huge(16, '\0');
  huge[6] = 1;  // 2^48
  check(huge, ": not a safetensors file: header length 281474976710656 is over 100 MB");
  check(raw_file("[1,2]", ""), ": not a safetensors file: the header does not start with '{'");
  check(raw_file("{\"w\":", ""), ": not a safetensors file: the header is not a JSON object");
  check(raw_file(ok, std::string(4, '\0')),
        ": tensor \"w\": data_offsets end at byte 8, past the 4 bytes of data (truncated?)");
  check(raw_file(ok, std::string(12, '\0')), ": 4 bytes after the last tensor belong to none");
  check(raw_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')),
        ": tensor \"w\": holds 8 bytes; its shape [3] of F32 needs 12");
  check(raw_file(R"({"w":{"dtype":"F24","shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')),
        ": tensor \"w\": dtype \"F24\" is not a safetensors dtype");
  check(raw_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", std::string(8, '\0')),
        ": tensor \"w\": shape [-2] is not a list of non-negative integers");
  check(raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8]}})", std::string(8, '\0')),
        ": tensor \"w\": data_offsets is not [begin, end]");
  check(raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", std::string(8, '\0')),
        ": tensor \"w\": data_offsets [8,0] end before they begin");
  check(raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                 std::string(12, '\0')),
        ": tensor \"b\": data_offsets [8, 12] leave a gap at byte 4");
  check(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                 std::string(8, '\0')),
        ": tensor \"b\": data_offsets [4, 8] overlap another tensor at byte 8");
  check(raw_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                 std::string(8, '\0')),
        ": tensor \"w\" is listed twice");
  check(raw_file(R"({"__metadata__":{"a":1},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')),
        ": __metadata__ \"a\" is not a string");
  check(raw_file(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})",
                 std::string(8, '\0')),
        ": tensor \"w\": shape [4294967296,4294967296,4294967296] is too large");
  // A name with a newline (found by fuzz_safetensors) stays on one line, escaped.
  check(raw_file(R"({"w\nx":{"shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')),
        ": tensor \"w\\x0ax\": has no dtype");
  CHECK(error_of((d.path / "missing.safetensors").string()) == "66 " + (d.path / "missing.safetensors").string() + ": no such file");
  // A non-float tensor reads as what it is, not as floats.
  spit(p, raw_file(R"({"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", std::string(8, '\0')));
  SafetensorsFile f(p);
  CHECK_THROWS_WITH(f.read_f32(*f.find("ids")),
                    p + ": tensor \"ids\" is I64; expected a float (F32, F16, BF16 or F64)");
}

TEST_CASE("safetensors: files of the reference library read here, files written here read there") {
  const char* py = std::getenv("SATURN_PYTHON");
  if (!py || !*py) {
    WARN("SATURN_PYTHON is not set: the reference check needs the test Python (scripts/setup.sh --test)");
    return;
  }
  test::TempDir d("safetensors-ref");
  const std::string theirs = (d.path / "theirs.safetensors").string(), ours = (d.path / "ours.safetensors").string();
  const std::string script = (d.path / "ref.py").string();
  spit(script, R"(import sys, torch
from safetensors.torch import save_file, load_file
theirs, ours = sys.argv[1], sys.argv[2]
if sys.argv[3] == "write":
    g = torch.Generator().manual_seed(0)
    t = {"w32": torch.randn(3, 5, generator=g), "w16": torch.randn(7, generator=g).half(),
         "wbf": torch.randn(2, 2, 2, generator=g).bfloat16(), "ids": torch.arange(6).reshape(2, 3)}
    save_file(t, theirs, metadata={"format": "pt"})
    with open(theirs + ".txt", "w") as f:
        for k in ["w32", "w16", "wbf"]:
            f.write(k + " " + " ".join(repr(float(x)) for x in t[k].float().flatten()) + "\n")
else:
    t = load_file(ours)
    assert t["x"].dtype == torch.bfloat16 and list(t["x"].shape) == [2, 3], t["x"]
    assert t["x"].float().tolist() == [[1, 2, 3], [-4, 0.5, 1e30]], t["x"].float().tolist()
    assert t["y"].tolist() == [0.25, -8.0], t["y"]
    print("ok")
)");
  REQUIRE(std::system(("'" + std::string(py) + "' " + script + " " + theirs + " " + ours + " write").c_str()) == 0);
  SafetensorsFile f(theirs);
  CHECK(f.metadata().at("format") == "pt");
  std::ifstream expected(theirs + ".txt");
  std::string line;
  int lines = 0;
  while (std::getline(expected, line)) {
    std::istringstream in(line);
    std::string name;
    in >> name;
    std::vector<float> want;
    for (double x; in >> x;) want.push_back(static_cast<float>(x));
    INFO(name);
    CHECK(f.read_f32(*f.find(name)) == want);
    ++lines;
  }
  CHECK(lines == 3);
  CHECK(f.find("ids")->dtype == StDtype::I64);

  std::vector<float> x = {1, 2, 3, -4, 0.5f, 1e30f};
  write_safetensors(ours, {{"x", StDtype::BF16, {2, 3}, [&](char* dst) {
                              for (size_t i = 0; i < x.size(); ++i) {
                                const uint16_t b = float_to_bf16(x[i]);
                                std::memcpy(dst + 2 * i, &b, 2);
                              }
                            }},
                           f32("y", {2}, {0.25f, -8.0f})});
  // 1e30 is not a bfloat16: the reference reads what rounding to nearest gives.
  x[5] = bf16_to_float(float_to_bf16(1e30f));
  spit(script + ".expect", std::to_string(x[5]));
  const std::string cmd = "'" + std::string(py) + "' -c \"import sys,torch; from safetensors.torch import load_file; "
                          "t=load_file(sys.argv[1]); v=t['x'].float().flatten().tolist(); "
                          "assert v[:5]==[1,2,3,-4,0.5], v; assert v[5]==float(open(sys.argv[2]).read()), v; "
                          "assert t['y'].tolist()==[0.25,-8.0]\" " + ours + " " + script + ".expect";
  CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("safetensors: every single-bit flip of a header reads fine or is one Data error, never a crash") {
  test::TempDir d("safetensors-flip");
  const std::string p = (d.path / "m.safetensors").string();
  std::vector<float> a(6, 1.5f), b(4, -2.0f);
  write_safetensors(p, {{"a", StDtype::F32, {2, 3}, [&](char* dst) { std::memcpy(dst, a.data(), 24); }},
                        {"b.weight", StDtype::F32, {4}, [&](char* dst) { std::memcpy(dst, b.data(), 16); }}},
                    {{"format", "pt"}});
  const std::string good = slurp(p);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(good[static_cast<size_t>(i)])) << (8 * i);
  int read_ok = 0, refused = 0;
  for (size_t byte = 0; byte < 8 + n; ++byte)
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      spit(p, bad);
      try {
        SafetensorsFile f(p);
        for (const StTensor& t : f.tensors())
          if (t.dtype == StDtype::F32 || t.dtype == StDtype::F16 || t.dtype == StDtype::BF16 || t.dtype == StDtype::F64)
            f.read_f32(t);
        ++read_ok;
      } catch (const Error& e) {
        CHECK(e.exit_code() == 65);
        CHECK(std::string(e.what()).rfind(p + ": ", 0) == 0);
        ++refused;
      }
    }
  INFO(read_ok << " flips still read, " << refused << " refused");
  CHECK(refused > read_ok);
}
