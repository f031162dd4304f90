// What a workload asks of the machine `saturn run` trains on that it will
// not get: more cpu threads than the machine has cores (jobs slow each other
// and measured steps mislead the plan), or cuda devices on a machine
// without one (their jobs cannot start here). Warnings, one line each, not
// errors: the run goes on. A `cluster: slurm` workload trains on the nodes
// Slurm gives it, so nothing is said of this machine. Plain function.
#pragma once

#include <string>
#include <vector>

#include "core/workload.h"

namespace saturn {

// `cores`: this machine's (std::thread::hardware_concurrency); `cuda_here`:
// whether it has a CUDA device.
std::vector<std::string> machine_warnings(const Workload& w, int64_t cores, bool cuda_here);

}  // namespace saturn
