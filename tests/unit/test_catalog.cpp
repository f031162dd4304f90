#include <catch2/catch.hpp>

#include "core/catalog.h"
#include "core/error.h"

using namespace saturn;

TEST_CASE("the compiled-in catalog has the GPUs users have") {
  const Catalog& c = default_catalog();
  for (const char* name : {"V100-16GB", "V100-32GB", "A100-40GB", "A100-80GB", "H100-80GB", "H200", "L4", "cpu"})
    CHECK(c.find(name) != nullptr);
  const GpuModel* a100 = c.find("A100-40GB");
  REQUIRE(a100);
  CHECK(a100->memory == 40LL << 30);
  CHECK(a100->bf16_flops == 312e12);
  CHECK(a100->fp32_flops == 19.5e12);
  CHECK(a100->memory_bandwidth == 1555e9);
  CHECK(a100->link_bandwidth == 300e9);
  CHECK(c.find("H200")->memory == 141000000000LL);
  for (const auto& m : c.models()) {
    CHECK(m.memory > 0);
    CHECK(m.bf16_flops >= m.fp32_flops);
    CHECK(m.host_bandwidth > 0);
  }
}

TEST_CASE("catalog errors are positioned") {
  auto fails = [](const std::string& text) {
    try {
      load_catalog(text, "gpus.yaml");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(fails("gpus:\n  - name: X\n    memory: lots\n") ==
        "gpus.yaml:3:13: gpus[0].memory: expected a size like 8GiB, 512MiB or 16GB, got \"lots\"");
  CHECK(fails("gpus:\n  - name: X\n") == "gpus.yaml:2:5: gpus[0]: missing required key \"memory\"");
  const std::string entry =
      "  - {name: X, memory: 1GiB, fp32_flops: 1, bf16_flops: 1, memory_bandwidth: 1GB/s, "
      "link_bandwidth: 1GB/s, host_bandwidth: 1GB/s}\n";
  CHECK(fails("gpus:\n" + entry + entry) == "gpus.yaml:3:12: gpus[1].name: duplicate device model \"X\"");
}
