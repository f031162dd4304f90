// ModelSpec: one model of a workload: its architecture and config, and what
// it overrides of the workload's grid and data. Plain value type.
#pragma once

#include <optional>
#include <string>

#include "arch.h"
#include "data_spec.h"
#include "finetune.h"
#include "grid.h"
#include "value.h"

namespace saturn {

struct ModelSpec {
  std::string name;               // unique in the workload; first part of job ids
  Arch arch = Arch::Gpt;
  Config config;                  // every key of the arch, defaults filled in
  std::string path;               // torchscript only: the saved module, as written
  std::string from;               // a Hugging Face model folder, as written: arch and config from its
                                  // config.json, initial weights from its safetensors (core/hf_config.h)
  Grid grid;                      // axes that replace or extend the workload grid for this model
  std::optional<DataSpec> data;   // replaces the workload's data for this model
  FinetuneSpec finetune;          // the workload's finetune with this model's keys replaced, targets filled in

  bool operator==(const ModelSpec&) const = default;
};

}  // namespace saturn
