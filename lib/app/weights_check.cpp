#include "app/weights_check.h"

#include <cstdio>
#include <set>

#include "core/error.h"
#include "core/hf_config.h"
#include "core/safetensors.h"
#include "core/units.h"
#include "profile/model_cost.h"

namespace saturn {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Buffers some checkpoints keep beside the parameters (the loader skips them).
bool buffer(const std::string& name) {
  return ends_with(name, "rotary_emb.inv_freq") || ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias");
}

std::string count_words(double n) {
  char b[48];
  std::snprintf(b, sizeof b, "%.0f", n);
  return b;
}

}  // namespace

std::vector<std::string> check_pretrained_weights(const Workload& w, bool train_here) {
  std::vector<std::string> warnings;
  std::set<std::string> seen;
  for (const ModelSpec& m : w.models) {
    if (m.from.empty()) continue;
    const std::string dir = w.resolve(m.from);
    if (!seen.insert(dir).second) continue;
    const HfModel hf = read_hf_config(dir);
    const auto cost = model_cost(hf.arch, hf.config);
    const bool tied = hf.config.has("tied_head") && hf.config.flag("tied_head");
    std::vector<std::string> files;
    try {
      files = hf_weight_files(dir);
    } catch (const Error& e) {
      if (train_here || e.kind() != ErrorKind::NoInput) throw;
      warnings.push_back(std::string(e.what()) + ": planning works from config.json, training needs the weights");
      continue;
    }
    double held = 0;
    for (const std::string& path : files) {
      const SafetensorsFile file(path);  // every header rule checked here
      for (const StTensor& t : file.tensors()) {
        if (buffer(t.name) || (tied && t.name == "lm_head.weight")) continue;
        held += static_cast<double>(t.numel());
      }
    }
    if (cost && held != cost->params)
      throw data_error(m.from + ": the weight files hold " + count_words(held) + " parameters where config.json implies " +
                       count_words(cost->params) +
                       " (a tensor of another shape, or one missing: the weights are not this config's)");
  }
  return warnings;
}

}  // namespace saturn
