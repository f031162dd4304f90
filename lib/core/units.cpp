#include "units.h"

#include <cctype>
#include <cstdio>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "text.h"

namespace saturn {

std::optional<double> parse_number(std::string_view s) {
  // Grammar: [+-]? digits [. digits]? ([eE] [+-]? digits)?  or  [+-]? . digits ...
  size_t i = 0, n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++int_digits;
  if (i < n && s[i] == '.') {
    ++i;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return std::nullopt;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != n) return std::nullopt;
  std::string copy(s);
  double v = std::strtod(copy.c_str(), nullptr);
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int64_t> parse_integer(std::string_view s) {
  auto v = parse_number(s);
  if (!v || *v != std::floor(*v)) return std::nullopt;
  if (std::fabs(*v) <= 9.007199254740992e15) return static_cast<int64_t>(*v);
  // Beyond 2^53 a double cannot hold every integer: read plain digits exactly.
  std::string copy(s);
  char* end = nullptr;
  errno = 0;
  long long r = std::strtoll(copy.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(r);
}

namespace {

// Splits "12.5GiB" into ("12.5", "GiB"): the longest numeric prefix.
std::pair<std::string_view, std::string_view> split_unit(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.' ||
                          s[i] == '+' || s[i] == '-' ||
                          ((s[i] == 'e' || s[i] == 'E') && i + 1 < s.size() &&
                           (std::isdigit(static_cast<unsigned char>(s[i + 1])) ||
                            s[i + 1] == '-' || s[i + 1] == '+'))))
    ++i;
  return {s.substr(0, i), s.substr(i)};
}

struct Unit {
  std::string_view name;
  double scale;
};

const Unit kDurationUnits[] = {{"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}, {"ms", 1e-3}};

const Unit kByteUnits[] = {
    {"B", 1},         {"KiB", 1024.0},     {"MiB", 1048576.0}, {"GiB", 1073741824.0},
    {"TiB", 1099511627776.0},              {"kB", 1e3},        {"KB", 1e3},
    {"K", 1e3},       {"k", 1e3},          {"MB", 1e6},        {"GB", 1e9},
    {"TB", 1e12},
};

std::optional<double> byte_unit_scale(std::string_view u) {
  if (u.empty()) return 1.0;
  for (const auto& unit : kByteUnits)
    if (unit.name == u) return unit.scale;
  return std::nullopt;
}

}  // namespace

std::optional<double> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  if (auto plain = parse_number(s)) return *plain >= 0 ? plain : std::nullopt;
  // A sequence of <number><unit> parts in decreasing unit order: "1h30m".
  double total = 0;
  size_t last_rank = 0;  // index into kDurationUnits + 1 of the previous part
  std::string_view rest = s;
  while (!rest.empty()) {
    size_t i = 0;
    while (i < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[i])) || rest[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    auto num = parse_number(rest.substr(0, i));
    if (!num) return std::nullopt;
    size_t j = i;
    while (j < rest.size() && std::isalpha(static_cast<unsigned char>(rest[j]))) ++j;
    std::string_view unit = rest.substr(i, j - i);
    size_t rank = 0;
    for (size_t k = 0; k < std::size(kDurationUnits); ++k)
      if (kDurationUnits[k].name == unit) rank = k + 1;
    if (rank == 0 || rank <= last_rank) return std::nullopt;
    last_rank = rank;
    total += *num * kDurationUnits[rank - 1].scale;
    rest = rest.substr(j);
  }
  return total;
}

std::string format_duration(double seconds) {
  if (seconds <= 0) return "0s";
  // Whole milliseconds below a second; otherwise d/h/m/s parts with a
  // fractional remainder on the seconds.
  if (seconds < 1) return format_number(std::round(seconds * 1e6) / 1e3) + "ms";
  std::string r;
  double rest = seconds;
  for (const auto& unit : kDurationUnits) {
    if (unit.scale < 1) break;
    if (unit.scale == 1) {
      if (rest > 0) r += format_number(std::round(rest * 1e6) / 1e6) + "s";
      break;
    }
    double whole = std::floor(rest / unit.scale);
    if (whole > 0) {
      r += format_number(whole) + std::string(unit.name);
      rest -= whole * unit.scale;
    }
  }
  return r;
}

std::optional<int64_t> parse_bytes(std::string_view s) {
  auto [num, unit] = split_unit(s);
  auto v = parse_number(num);
  auto scale = byte_unit_scale(unit);
  if (!v || !scale || *v < 0) return std::nullopt;
  double bytes = *v * *scale;
  if (bytes != std::floor(bytes) || bytes > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(bytes);
}

std::string format_bytes(int64_t bytes) {
  static const std::pair<const char*, int64_t> units[] = {
      {"TiB", int64_t(1) << 40}, {"GiB", int64_t(1) << 30}, {"MiB", int64_t(1) << 20},
      {"KiB", int64_t(1) << 10}};
  if (bytes == 0) return "0B";
  for (const auto& [name, scale] : units)
    if (bytes % scale == 0) return std::to_string(bytes / scale) + name;
  return std::to_string(bytes) + "B";
}

std::optional<double> parse_rate(std::string_view s) {
  if (s.size() < 3 || s.substr(s.size() - 2) != "/s") return std::nullopt;
  auto [num, unit] = split_unit(s.substr(0, s.size() - 2));
  auto v = parse_number(num);
  auto scale = byte_unit_scale(unit);
  if (!v || !scale || *v < 0 || unit.empty()) return std::nullopt;
  return *v * *scale;
}

std::string format_rate(double bps) {
  static const std::pair<const char*, double> units[] = {
      {"TB/s", 1e12}, {"GB/s", 1e9}, {"MB/s", 1e6}, {"kB/s", 1e3}};
  for (const auto& [name, scale] : units)
    if (bps >= scale) return format_number(bps / scale) + name;
  return format_number(bps) + "B/s";
}

}  // namespace saturn

namespace saturn {
namespace {
std::string three_digits(double v) {
  char buf[32];
  if (v >= 100) std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (v >= 10) std::snprintf(buf, sizeof buf, "%.1f", v);
  else std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}
}  // namespace

std::string human_bytes(double bytes) {
  static const std::pair<const char*, double> units[] = {
      {"TiB", 1099511627776.0}, {"GiB", 1073741824.0}, {"MiB", 1048576.0}, {"KiB", 1024.0}};
  for (const auto& [name, scale] : units)
    if (bytes >= scale) return three_digits(bytes / scale) + " " + name;
  return std::to_string(static_cast<int64_t>(bytes)) + " B";
}

std::string human_duration(double s) {
  char buf[48];
  if (s < 0) s = 0;
  if (s < 1e-3) return three_digits(s * 1e6) + " us";
  if (s < 1) return three_digits(s * 1e3) + " ms";
  if (s < 60) return three_digits(s) + " s";
  const auto total = static_cast<int64_t>(std::llround(s));
  if (total < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm %02llds", static_cast<long long>(total / 60), static_cast<long long>(total % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh %02lldm", static_cast<long long>(total / 3600),
                  static_cast<long long>(total % 3600 / 60));
  }
  return buf;
}

}  // namespace saturn
