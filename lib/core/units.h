// Human units in workload and catalog files: numbers, durations, byte sizes
// and byte rates. Parsers are strict (the whole text must be consumed) and
// return std::nullopt on anything else; callers turn that into a positioned
// error. Formatters produce text the parsers read back exactly.
// Pure functions; thread safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace saturn {

// A decimal or scientific number: "3", "-0.5", "1e-3", "2.5E6". No hex, no
// inf/nan, no surrounding spaces.
std::optional<double> parse_number(std::string_view s);

// A whole number in int64 range: "12", "-3", "1e3" (exact integral values in
// scientific form are accepted), "1_000" is not.
std::optional<int64_t> parse_integer(std::string_view s);

// A duration in seconds: "30s", "5m", "1h30m", "250ms", "2d", "1.5h", or a
// plain number of seconds. Negative durations are not accepted.
std::optional<double> parse_duration(std::string_view s);

// The duration as the largest units that are exact: 90 -> "1m30s",
// 0.25 -> "250ms", 3600 -> "1h", 0 -> "0s".
std::string format_duration(double seconds);

// A size in bytes: "8GiB", "512MiB", "1.5GB" (SI: kB MB GB TB), "64KiB",
// "100B", or a plain integer. Suffixes are case-sensitive as written here,
// except that K/k and kB/KB are both accepted. The result must be a whole
// number of bytes.
std::optional<int64_t> parse_bytes(std::string_view s);

// Bytes as the largest binary unit that is exact ("8GiB", "1536MiB", "100B").
std::string format_bytes(int64_t bytes);

// For people, not for parsing back: three significant digits.
// human_bytes: "27.2 MiB", "512 B"; human_duration: "9.06 ms", "1.15 s",
// "2m 05s", "3h 02m".
std::string human_bytes(double bytes);
std::string human_duration(double seconds);

// A rate in bytes per second: a byte size followed by "/s" ("600GB/s").
std::optional<double> parse_rate(std::string_view s);

// A rate as "<number><unit>/s" with SI units ("1.555TB/s", "600GB/s").
std::string format_rate(double bytes_per_second);

}  // namespace saturn
