// Technique: the ways saturn can run a job on its devices. A Strategy
// (technique + device count, chosen by the planner) builds on this.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace saturn {

enum class Technique {
  Single,    // one device
  Ddp,       // data parallel, gradients all-reduced
  Fsdp,      // fully sharded data parallel (ZeRO-3)
  Pipeline,  // stages, one per device (1F1B schedule by default, or GPipe)
  Spill,     // Hydra-style spilling of layer groups from host memory
  Fused,     // HFTA horizontal fusion of several jobs into one model
};

const char* technique_name(Technique t);  // "single", "ddp", ...
std::optional<Technique> parse_technique(const std::string& name);
std::vector<std::string> technique_names();
std::vector<Technique> all_techniques();

// "k=v,k=v" -> the value of k (nullopt when absent).
std::optional<std::string> knob_value(const std::string& knobs, const std::string& key);

// A strategy's knob settings become `saturn worker` flags through
// WorkerArgs::apply_knobs (core/worker_args.h).

}  // namespace saturn
