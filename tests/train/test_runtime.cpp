// The worker's CPU runtime (train/cpu_runtime.h).
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "train/cpu_runtime.h"

using namespace saturn::train;

TEST_CASE("cpu runtime: threads set, denormal floats flushed to zero (a loss of 0 made steps 5x slower)") {
  const float tiny = 1e-39f;  // below float's smallest normal, 1.18e-38
  at::globalContext().setFlushDenormal(false);
  CHECK((torch::full({4}, tiny) * 1.0f).sum().item<float>() > 0);  // kept as denormals
  configure_cpu_runtime(1);
  CHECK(torch::get_num_threads() == 1);
  CHECK((torch::full({4}, tiny) * 1.0f).sum().item<float>() == 0);
  CHECK((torch::full({4}, 1e-30f) * 2.0f).sum().item<float>() == Approx(8e-30f));  // normal numbers unchanged
}
