// libFuzzer target for the workload loader. Any input must either load or
// fail with saturn::Error (one line); anything else (a crash, a sanitizer
// report, another exception) is a bug. Inputs that load must round-trip:
// parse(to_yaml(w)) == w, and expand without error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "core/job.h"
#include "core/workload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  saturn::LoadOptions options;
  options.check_files = false;
  saturn::Workload w;
  try {
    w = saturn::parse_workload(text, "fuzz.yaml", "", options);
  } catch (const saturn::Error& e) {
    const std::string m = e.what();
    if (m.empty() || m.find('\n') != std::string::npos) std::abort();  // one line, always
    return 0;
  }
  const std::string yaml = saturn::to_yaml(w);
  saturn::Workload again = saturn::parse_workload(yaml, "fuzz-emitted.yaml", "", options);
  if (!(again == w)) std::abort();
  size_t points = 0;
  // Each model's grid points, times the sampled trials (search.random).
  const size_t trials = w.random.trials > 0 ? static_cast<size_t>(w.random.trials) : 1;
  for (const auto& m : w.models) points += w.grid_for(m).size() * trials;
  if (points <= 2000) {
    saturn::JobSet set = saturn::expand_jobs(w);
    if (set.jobs.size() != points) std::abort();
  }
  return 0;
}
