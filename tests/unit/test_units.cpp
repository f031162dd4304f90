#include <catch2/catch.hpp>

#include "core/units.h"

using namespace saturn;

TEST_CASE("parse_number accepts decimal and scientific forms only") {
  CHECK(parse_number("3") == 3.0);
  CHECK(parse_number("-0.5") == -0.5);
  CHECK(parse_number("1e-3") == 1e-3);
  CHECK(parse_number("2.5E6") == 2.5e6);
  CHECK(parse_number(".5") == 0.5);
  CHECK_FALSE(parse_number(""));
  CHECK_FALSE(parse_number("fast"));
  CHECK_FALSE(parse_number("1e"));
  CHECK_FALSE(parse_number("0x10"));
  CHECK_FALSE(parse_number("inf"));
  CHECK_FALSE(parse_number("nan"));
  CHECK_FALSE(parse_number(" 1"));
  CHECK_FALSE(parse_number("1e999"));
}

TEST_CASE("parse_integer takes exact whole numbers") {
  CHECK(parse_integer("12") == 12);
  CHECK(parse_integer("1e3") == 1000);
  CHECK(parse_integer("-3") == -3);
  CHECK(parse_integer("9223372036854775807") == INT64_MAX);
  CHECK_FALSE(parse_integer("1.5"));
  CHECK_FALSE(parse_integer("99999999999999999999"));
  CHECK_FALSE(parse_integer("1_000"));
}

TEST_CASE("durations parse and format") {
  CHECK(parse_duration("30s") == 30.0);
  CHECK(parse_duration("5m") == 300.0);
  CHECK(parse_duration("1h30m") == 5400.0);
  CHECK(parse_duration("250ms") == Approx(0.25));
  CHECK(parse_duration("2d") == 172800.0);
  CHECK(parse_duration("1.5h") == 5400.0);
  CHECK(parse_duration("42") == 42.0);
  CHECK_FALSE(parse_duration("-5s"));
  CHECK_FALSE(parse_duration("5x"));
  CHECK_FALSE(parse_duration("30m1h"));  // units must decrease
  CHECK_FALSE(parse_duration("5m5m"));
  CHECK_FALSE(parse_duration("m"));
  CHECK_FALSE(parse_duration(""));
  CHECK(format_duration(5400) == "1h30m");
  CHECK(format_duration(0.25) == "250ms");
  CHECK(format_duration(90.5) == "1m30.5s");
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(86400 + 1) == "1d1s");
  for (double s : {0.001, 0.25, 1.0, 59.0, 61.0, 3600.0, 5400.0, 90061.5, 1000.0})
    CHECK(parse_duration(format_duration(s)) == Approx(s));
}

TEST_CASE("byte sizes parse and format") {
  CHECK(parse_bytes("8GiB") == 8LL << 30);
  CHECK(parse_bytes("512MiB") == 512LL << 20);
  CHECK(parse_bytes("1.5GB") == 1500000000LL);
  CHECK(parse_bytes("64KiB") == 65536);
  CHECK(parse_bytes("16k") == 16000);
  CHECK(parse_bytes("100B") == 100);
  CHECK(parse_bytes("4096") == 4096);
  CHECK(parse_bytes("141GB") == 141000000000LL);
  CHECK_FALSE(parse_bytes("8gib"));
  CHECK_FALSE(parse_bytes("0.5B"));
  CHECK_FALSE(parse_bytes("-1GiB"));
  CHECK_FALSE(parse_bytes("GiB"));
  CHECK_FALSE(parse_bytes("8 GiB"));
  CHECK(format_bytes(8LL << 30) == "8GiB");
  CHECK(format_bytes(1536LL << 20) == "1536MiB");
  CHECK(format_bytes(100) == "100B");
  CHECK(format_bytes(0) == "0B");
  for (int64_t b : {1LL, 1024LL, 1500000000LL, 8LL << 30, 141000000000LL})
    CHECK(parse_bytes(format_bytes(b)) == b);
}

TEST_CASE("rates parse") {
  CHECK(parse_rate("600GB/s") == 600e9);
  CHECK(parse_rate("1.5TB/s") == 1.5e12);
  CHECK(parse_rate("16GiB/s") == 16.0 * (1LL << 30));
  CHECK_FALSE(parse_rate("600GB"));
  CHECK_FALSE(parse_rate("600/s"));
  CHECK(format_rate(600e9) == "600GB/s");
}
