// Checkpoint writes that fail (train/checkpoint.h): one line naming the file
// and the reason, exit 75, and the checkpoint before stays whole.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <sys/resource.h>

#include <csignal>
#include <algorithm>
#include <filesystem>

#include "core/arch.h"
#include "core/error.h"
#include "core/run_files.h"
#include "train/checkpoint.h"
#include "train/models/build.h"
#include "train/optim.h"
#include "train/techniques/technique.h"
#include "../unit/temp_dir.h"

using namespace saturn;
using namespace saturn::train;
namespace fs = std::filesystem;

namespace {

// Files written while it lives may grow to `bytes` at most (writes past it
// fail with EFBIG, as on a full disk they fail with ENOSPC).
struct FileSizeLimit {
  rlimit old{};
  explicit FileSizeLimit(rlim_t bytes) {
    std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old);
    rlimit r = old;
    r.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &r);
  }
  ~FileSizeLimit() { ::setrlimit(RLIMIT_FSIZE, &old); }
};

}  // namespace

TEST_CASE("checkpoint: a write that fails is one line with the path and the reason (exit 75), the one before stays") {
  saturn::test::TempDir d("ckpt-fail");
  torch::manual_seed(0);
  Config c = default_config(Arch::Gpt);
  c.set("layers", int64_t(2));
  c.set("width", int64_t(32));
  c.set("heads", int64_t(4));
  c.set("seq_len", int64_t(16));
  BlockModel model = build_model(Arch::Gpt, c, "");
  auto params = trainable(*model);
  auto opt = make_optimizer(params, Optimizer::AdamW, Hyperparams{});
  const std::string dir = (d.path / "ckpt").string();
  Checkpointer ck(dir);
  ck.save(10, model, *opt, {{"loss", 1.5}});
  const auto before = model->named_parameters()[0].value().clone();
  torch::NoGradGuard g;
  for (auto& p : model->parameters()) p.add_(1.0);
  try {
    FileSizeLimit limit(4096);
    ck.save(20, model, *opt, {{"loss", 1.25}});
    FAIL("the save should have failed");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 75);
    const std::string tmp_prefix = dir + "/" + run_files::checkpoint_stem(20) + ".pt";
    const std::string what = e.what();
    INFO(what);
    CHECK(what.rfind(tmp_prefix, 0) == 0);
    CHECK(what.find(": File too large") != std::string::npos);
    CHECK(what.find('\n') == std::string::npos);
  }
  // Nothing of the failed one is left, and the one before loads whole.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{run_files::checkpoint_stem(10) + ".json", run_files::checkpoint_stem(10) + ".pt"});
  auto meta = ck.load_latest(model, *opt, [](const std::string& w) { FAIL(w); });
  REQUIRE(meta);
  CHECK((*meta)["step"] == 10);
  CHECK(torch::equal(model->named_parameters()[0].value(), before));
}
