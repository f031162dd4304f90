// The Jinja interpreter (lib/tokenize/jinja): against Python's jinja2 as
// transformers configures it (tests/unit/jinja/cases.py renders the cases
// with the test Python: SATURN_PYTHON), and its sandbox's limits, each
// refused with one positioned line.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "source_dir.h"
#include "temp_dir.h"
#include "tokenize/jinja/json_value.h"
#include "tokenize/jinja/template.h"

using namespace saturn::jinja;

namespace {

std::string render(const std::string& t, const Value& vars = Value::make_dict(), const Limits& l = {}) {
  Template tpl(t, l);
  RenderOptions o;
  o.limits = l;
  return tpl.render(vars, o).text.text;
}

// The error of rendering t: "LINE:COL: what" ("" when it renders).
std::string error_of(const std::string& t, const Limits& l = {}) {
  try {
    render(t, Value::make_dict(), l);
    return "";
  } catch (const TemplateError& e) {
    return std::to_string(e.line) + ":" + std::to_string(e.col) + ": " + e.what();
  }
}

}  // namespace

TEST_CASE("jinja: the interpreter renders as jinja2 does (statements, filters, tests, random expressions)", "[reference]") {
  const char* py = std::getenv("SATURN_PYTHON");
  if (!py || !*py) {
    WARN("SATURN_PYTHON is not set: the reference check needs the test Python (scripts/setup.sh --test)");
    return;
  }
  saturn::test::TempDir d("jinja");
  const std::string out = (d.path / "cases.json").string();
  const std::string cmd = std::string("'") + py + "' '" + source_dir() + "/tests/unit/jinja/cases.py' '" + out + "' --random 600";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream in(out);
  const auto cases = nlohmann::ordered_json::parse(in);
  REQUIRE(cases.size() > 600);
  int rendered = 0, refused = 0;
  std::ostringstream bad;
  int n_bad = 0;
  for (const auto& c : cases) {
    const std::string t = c["template"].get<std::string>();
    const Value vars = from_json(c["vars"]);
    std::string got, err;
    try {
      Template tpl(t);
      got = tpl.render(vars).text.text;
    } catch (const TemplateError& e) {
      err = e.what();
    }
    if (c.contains("error")) {
      ++refused;
      if (err.empty() && n_bad++ < 15) bad << "\n" << t << "\n  jinja2 refused (" << c["error"].get<std::string>() << "), saturn gave <" << got << ">";
    } else {
      ++rendered;
      const std::string want = c["out"].get<std::string>();
      if ((!err.empty() || got != want) && n_bad++ < 15)
        bad << "\n" << t << "\n  jinja2: <" << want << ">\n  saturn: <" << (err.empty() ? got : "error: " + err) << ">";
    }
  }
  INFO(rendered << " rendered, " << refused << " refused by jinja2; the first differences:" << bad.str());
  CHECK(n_bad == 0);
}

TEST_CASE("jinja: the sandbox stops loops, recursion, huge strings and attribute reaching with one positioned line") {
  Limits l;
  l.max_steps = 100000;
  l.max_output = 1 << 20;
  CHECK(error_of("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}", l) ==
        "1:57: the template takes more than 100000 steps (a loop that does not end?)");
  CHECK(error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}\n{{ f(0) }}", l) == "1:21: macro calls nest deeper than 200");
  CHECK(error_of("{{ 'x' * 100000000 }}", l) == "1:8: a value longer than 1048576 bytes or items");
  CHECK(error_of("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}", l) ==
        "1:76: a value longer than 1048576 bytes or items");
  CHECK(error_of("{% for i in range(2000) %}{{ 'y' * 1000 }}{% endfor %}", l) == "1:34: the output passes 1048576 bytes");
  CHECK(error_of("{{ ''.__class__ }}") == "1:6: access to attribute '__class__' of 'str' object is unsafe");
  CHECK(error_of("{{ messages.__class__.__mro__ }}") == "1:12: access to attribute '__class__' of 'Undefined' object is unsafe");
  CHECK(error_of("{{ messages.x }}") == "1:12: 'messages' is undefined");
  CHECK(error_of("{{ [].append(1) }}") == "1:6: access to attribute 'append' of 'list' object is unsafe");
  CHECK(error_of("{% set ns = namespace() %}{% set ns._x = 1 %}") == "1:30: a namespace attribute cannot start with '_': _x");
  CHECK(error_of("{{ range(10**6) }}") == "1:9: range too big, maximum size for range is 100000");
  CHECK(error_of("{% include 'secrets.txt' %}") == "1:4: 'include' is not supported: a chat template cannot load other templates");
  CHECK(error_of("{% for x in y %}\n  {{ x }") == "2:3: a tag is not closed (no }})");
  CHECK(error_of("{{ raise_exception('No system turns allowed') }}") == "1:19: raise_exception: No system turns allowed");
  CHECK(error_of("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}") ==
        "1:103: the template nests deeper than 200 levels");
}

TEST_CASE("jinja: strings keep the messages' tags through the template's operations") {
  Value vars = Value::make_dict();
  vars.dict->set(Value::string("c"), Value::string("  answer  ", 3));
  Template t("<a>{{ c | trim }}</a>{{ ('x' ~ c.strip()).split('n')[0] }}");
  const RenderResult r = t.render(vars);
  REQUIRE(r.text.text == "<a>answer</a>xa");
  REQUIRE(r.text.tags.size() == 2);
  CHECK(r.text.tags[0].begin == 3);
  CHECK(r.text.tags[0].end == 9);
  CHECK(r.text.tags[0].id == 3);
  CHECK(r.text.tags[1].begin == 14);
  CHECK(r.text.tags[1].end == 15);
  Template g("a{% generation %}b{{ 'c' }}{% endgeneration %}d");
  CHECK(g.has_generation());
  const RenderResult rg = g.render(Value::make_dict());
  REQUIRE(rg.generation.size() == 1);
  CHECK(rg.generation[0] == std::make_pair<size_t, size_t>(1, 3));
}

TEST_CASE("jinja: strftime_now formats the time the render is given") {
  RenderOptions o;
  o.now = 1733529600;  // 2024-12-07 00:00:00 UTC
  setenv("TZ", "UTC", 1);
  Template t("{{ strftime_now('%d %b %Y') }}");
  CHECK(t.render(Value::make_dict(), o).text.text == "07 Dec 2024");
}
