// Small text helpers shared by the core: edit distance and suggestions,
// quoting, and the compact number format used in job ids and YAML output.
// Pure functions; thread safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace saturn {

// Edit distance between a and b, a transposition of neighbours counting 1.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate `word` most likely meant: a case-insensitive match, else the
// only candidate that starts with `word`, else the nearest one within an edit
// distance of max(1, len/3); "" when none is likely.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// `s` in double quotes, with quotes, backslashes and control bytes escaped.
std::string quoted(std::string_view s);

// The shortest text that reads back as exactly `v`: 16, 0.1, 3e-4, 1e-05 is
// never produced (exponents carry no padding or plus sign), 2.5e+06 -> 2.5e6.
std::string format_number(double v);

// At most `max` bytes of `s` (cut at a UTF-8 boundary), with "..." when cut.
std::string excerpt(std::string_view s, size_t max);

// Valid UTF-8 without control characters (what names and paths may hold).
bool printable_utf8(std::string_view s);

// Items joined with `sep`.
std::string join(const std::vector<std::string>& items, std::string_view sep);

// "1 job", "8 jobs": a count with its noun in the right number.
std::string count_text(int64_t n, std::string_view one, std::string_view many);

// s as one shell word: unchanged when it is only [A-Za-z0-9_./:=@%+-], else
// in single quotes (with ' written '\'').
std::string shell_quote(std::string_view s);

}  // namespace saturn
