#include "core/profile_entry.h"

namespace saturn {

std::string ProfileKey::str() const {
  std::string s = shape.substr(0, 8) + "/" + technique_name(technique);
  if (!knobs.empty()) s += "[" + knobs + "]";
  s += "/" + device + " x" + std::to_string(devices);
  if (threads > 0) s += " (" + std::to_string(threads) + (threads == 1 ? " thread)" : " threads)");
  return s;
}

const char* profile_source_name(ProfileSource s) { return s == ProfileSource::Estimated ? "estimated" : "measured"; }

}  // namespace saturn
