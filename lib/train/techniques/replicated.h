// Single device and DDP: every rank holds the whole model and optimizer,
// trains its slice of the global batch, and gradients are summed across
// ranks (all-reduce in buckets) before the update: the update of one device
// on the whole batch.
#pragma once

#include <memory>

#include "train/techniques/technique.h"

namespace saturn::train {

std::unique_ptr<TechniqueImpl> make_replicated(const TechniqueSetup& t);

}  // namespace saturn::train
