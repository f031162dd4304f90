// The text of configs/gpus.yaml, compiled in by CMake (catalog_data.cpp.in).
#pragma once

namespace saturn {
extern const char* const kCatalogYaml;
}
