// Trial batches: which pending trials one `saturn worker --trial` process
// times one after another (WorkerArgs::also), so that the process's fixed
// cost (libraries, the workload, a CUDA context, the ranks' rendezvous) is
// paid once: trials of one shape on one device group with the same device
// count (single, spill and fused groups on one device; DDP, FSDP and
// pipeline variants on several). A batch stays small enough for the trials
// of its width to spread over the group's places: a shape with m of the n
// pending trials of its width, on a group that holds p such trials at once,
// gets max(1, round(p m / n)) processes. Plain functions.
#pragma once

#include <cstdint>
#include <vector>

#include "profile/trials.h"

namespace saturn {

// Whether one process can time both.
bool same_process(const Trial& a, const Trial& b);

// The trials (indices into `trials`) one process times with pending[first],
// pending[first] first, the others in pending order; `places`: how many
// trials of its width its device group runs at once.
std::vector<size_t> trial_batch(const std::vector<size_t>& pending, size_t first, const std::vector<Trial>& trials,
                                int64_t places);

// How many trials `devices` wide a device group runs at once.
int64_t trial_places(const DeviceGroup& g, int64_t devices);

}  // namespace saturn
