// Usage errors as one line each, naming what to read next: an unknown
// command or option with the nearest real name ("did you mean"), a value a
// flag does not take, and one range rule for whole-number flags. Plain
// functions over CLI11 (header-only).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace saturn {

// The line `saturn` prints for `e`, thrown while `app` parsed `args` (argv
// without the program name), e.g.
//   saturn: unknown command "plam"; did you mean plan? (saturn --help)
//   saturn run: unknown option --dryrun; did you mean --dry-run? (saturn run --help)
std::string usage_line(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args);

// A check for whole-number flags: at least `lo`; its message reads
// "expected a whole number of at least 1, got 0".
CLI::Validator at_least(int64_t lo);

}  // namespace saturn
