#include "source_dir.h"

const std::string& source_dir() {
  static const std::string dir = SATURN_SOURCE_DIR;
  return dir;
}
