#include "train/techniques/spill.h"

#include "core/error.h"
#include "train/techniques/fsdp.h"

namespace saturn::train {

std::unique_ptr<TechniqueImpl> make_spill(const TechniqueSetup& t) {
  if (t.comm) throw usage_error("--technique spill: takes one device, got " + std::to_string(t.comm->world()));
  const TrainJob& job = t.jobs->front();
  ShardOptions o;
  o.group_blocks = job.group_blocks;
  o.recompute = job.recompute;
  return make_sharded(t, o);
}

}  // namespace saturn::train
