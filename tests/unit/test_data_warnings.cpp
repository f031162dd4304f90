// data_warnings: seq_len taken from max_position_embeddings over short
// data, too many epochs, less than a batch; one line per model and batch.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "app/data_warnings.h"
#include "core/job.h"
#include "temp_dir.h"
#include "workload_text.h"

using namespace saturn;

namespace {

std::vector<std::string> warnings_of(const std::string& text, const std::string& base_dir = "") {
  LoadOptions lo;
  lo.check_files = false;
  lo.resolve_slurm = false;
  const Workload w = parse_workload(text, "w.yaml", base_dir, lo);
  return data_warnings(w, expand_jobs(w), {});
}

}  // namespace

TEST_CASE("data warnings: epochs and batches, once per model and batch size") {
  // 100 synthetic samples, 10 steps at batch 32 (the default): a few epochs.
  CHECK(warnings_of(test::kBaseWorkload).empty());
  const auto many = warnings_of(test::with_line(15, "  steps: 1000"));
  REQUIRE(many.size() == 1);  // the grid's two learning rates share it
  CHECK_THAT(many[0], Catch::StartsWith("2 jobs of model m with batch size 32: 1000 steps x 32 samples over "));
  CHECK_THAT(many[0], Catch::EndsWith(" epochs (more than 20); fewer steps or more data"));
  const auto few = warnings_of(test::with_line(7, "  train: {format: synthetic, samples: 5}"));
  REQUIRE(few.size() == 1);
  CHECK_THAT(few[0], Catch::Contains(": the training data holds "));
  CHECK_THAT(few[0], Catch::Contains(", less than one batch of 32; every step repeats them"));
}

TEST_CASE("data warnings: a seq_len from max_position_embeddings over data far shorter") {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path / "llm");
  std::ofstream(dir.path / "llm" / "config.json")
      << R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 256,
            "max_position_embeddings": 4096})";
  const std::string model = "  - name: m\n    from: llm\n";
  const std::string base = test::with_lines(9, 10, model);
  const auto said = warnings_of(test::with_line(7, "  train: {format: synthetic, samples: 4}", base), dir.path.string());
  REQUIRE(!said.empty());
  CHECK_THAT(said[0], Catch::StartsWith("model m: seq_len 4096 is llm/config.json's max_position_embeddings, and the "
                                        "training data holds "));
  CHECK_THAT(said[0], Catch::Contains("set the model's config.seq_len to the length of your samples"));
  // A seq_len the workload narrows is its own choice: nothing said about it.
  const auto narrowed = warnings_of(
      test::with_line(7, "  train: {format: synthetic, samples: 4}",
                      test::with_lines(9, 10, model + "    config: {seq_len: 128}")),
      dir.path.string());
  for (const auto& line : narrowed) CHECK(line.find("max_position_embeddings") == std::string::npos);
}
