#include "core/select_spec.h"


namespace saturn {

std::string selection_text(const Selection& s) { return s.metric + (s.maximize ? " max" : " min"); }

Selection parse_selection_text(const std::string& text) {
  Selection s;
  const size_t space = text.rfind(' ');
  if (space == std::string::npos) return s;
  s.metric = text.substr(0, space);
  s.maximize = text.substr(space + 1) == "max";
  return s;
}

}  // namespace saturn
