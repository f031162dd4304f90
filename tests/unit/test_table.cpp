#include <catch2/catch.hpp>

#include "report/table.h"

using namespace saturn;

TEST_CASE("tables align columns") {
  Table t;
  t.column("job").column("lr", Table::Align::Right);
  t.row({"gpt-tiny/lr=1e-3", "1e-3"});
  t.row({"gpt", "0.01"});
  Terminal plain;
  CHECK(t.render(plain) ==
        "job                 lr\n"
        "----------------------\n"
        "gpt-tiny/lr=1e-3  1e-3\n"
        "gpt               0.01\n");
  Terminal color;
  color.color = true;
  CHECK(t.render(color).find("\x1b[1m") == 0);
  CHECK_THROWS(t.row({"one"}));
}

TEST_CASE("display width counts code points") {
  CHECK(display_width("abc") == 3);
  CHECK(display_width("\xc3\xa9t\xc3\xa9") == 3);  // été
}
