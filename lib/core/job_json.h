// JSON forms of jobs and shapes, as `saturn jobs --json` prints them and
// later commands embed them. Pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "job.h"

namespace saturn {

nlohmann::json value_json(const Value& v);
nlohmann::json job_json(const Workload& w, const JobSet& set, const Job& job);
nlohmann::json shape_json(const Workload& w, const JobSet& set, const JobShape& shape);
// {"workload": name, "jobs": [...], "shapes": [...]}
nlohmann::json jobs_json(const Workload& w, const JobSet& set);

}  // namespace saturn
