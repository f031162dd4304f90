// The technique registry: one line per technique.
#include "core/error.h"
#include "train/techniques/fsdp.h"
#include "train/techniques/fused.h"
#include "train/techniques/pipeline.h"
#include "train/techniques/replicated.h"
#include "train/techniques/spill.h"
#include "train/techniques/technique.h"

namespace saturn::train {

namespace {

using Factory = std::unique_ptr<TechniqueImpl> (*)(const TechniqueSetup&);

struct Entry {
  Technique technique;
  Factory make;
};

constexpr Entry kRegistry[] = {
    {Technique::Single, make_replicated},
    {Technique::Ddp, make_replicated},
    {Technique::Fsdp, make_fsdp},
    {Technique::Pipeline, make_pipeline},
    {Technique::Spill, make_spill},
    {Technique::Fused, make_fused},
};

}  // namespace

std::unique_ptr<TechniqueImpl> make_technique(const TechniqueSetup& setup) {
  const Technique t = setup.jobs->front().technique;
  for (const Entry& e : kRegistry)
    if (e.technique == t) return e.make(setup);
  throw internal_error(std::string("no training code for technique ") + technique_name(t));
}

}  // namespace saturn::train
