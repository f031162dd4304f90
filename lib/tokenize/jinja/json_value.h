// JSON to Jinja values and back: a record's fields as a template sees them
// (objects keep their key order, as Python's json.loads does). Torch-free.
#pragma once

#include <nlohmann/json.hpp>

#include "tokenize/jinja/value.h"

namespace saturn::jinja {

// Strings tagged with `tag` (>= 0) carry it on all their bytes.
Value from_json(const nlohmann::ordered_json& j, int tag = -1);

}  // namespace saturn::jinja
