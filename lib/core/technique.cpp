#include "technique.h"

namespace saturn {

const char* technique_name(Technique t) {
  switch (t) {
    case Technique::Single: return "single";
    case Technique::Ddp: return "ddp";
    case Technique::Fsdp: return "fsdp";
    case Technique::Pipeline: return "pipeline";
    case Technique::Spill: return "spill";
    case Technique::Fused: return "fused";
  }
  return "?";
}

std::vector<Technique> all_techniques() {
  return {Technique::Single, Technique::Ddp,   Technique::Fsdp,
          Technique::Pipeline, Technique::Spill, Technique::Fused};
}

std::vector<std::string> technique_names() {
  std::vector<std::string> r;
  for (auto t : all_techniques()) r.push_back(technique_name(t));
  return r;
}

std::optional<Technique> parse_technique(const std::string& name) {
  for (auto t : all_techniques())
    if (name == technique_name(t)) return t;
  return std::nullopt;
}

std::optional<std::string> knob_value(const std::string& knobs, const std::string& key) {
  size_t pos = 0;
  while (pos < knobs.size()) {
    size_t end = knobs.find(',', pos);
    if (end == std::string::npos) end = knobs.size();
    const std::string kv = knobs.substr(pos, end - pos);
    const size_t eq = kv.find('=');
    if (eq != std::string::npos && kv.substr(0, eq) == key) return kv.substr(eq + 1);
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace saturn
