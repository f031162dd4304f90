// Test helpers: a small valid workload as text, and the error a text gives.
#pragma once

#include <string>

#include "core/error.h"
#include "core/workload.h"

namespace saturn::test {

// Lines 1-15; the malformed-workload tests replace one line at a time, so
// their expected positions can be read off this text.
inline const char* kBaseWorkload =
    "name: t\n"                                    // 1
    "cluster:\n"                                   // 2
    "  nodes:\n"                                   // 3
    "    - name: local\n"                          // 4
    "      devices: {kind: cpu, count: 2}\n"       // 5
    "data:\n"                                      // 6
    "  train: {format: synthetic, samples: 100}\n" // 7
    "models:\n"                                    // 8
    "  - name: m\n"                                // 9
    "    arch: gpt\n"                              // 10
    "search:\n"                                    // 11
    "  grid:\n"                                    // 12
    "    lr: [1e-3, 3e-4]\n"                       // 13
    "train:\n"                                     // 14
    "  steps: 10\n";                               // 15

// `base` with lines first..last (1-based) replaced by `text` (which may hold
// several lines, or be empty to delete them).
std::string with_lines(int first, int last, const std::string& text, const std::string& base = kBaseWorkload);
inline std::string with_line(int line, const std::string& text, const std::string& base = kBaseWorkload) {
  return with_lines(line, line, text, base);
}

struct Outcome {
  std::string message;  // e.what(), or "ok"
  int exit_code = 0;
};

// Parses `text` as "w.yaml" with file checks off unless `check_files`.
Outcome outcome_of(const std::string& text, bool check_files = false);

}  // namespace saturn::test
