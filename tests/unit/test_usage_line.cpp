// usage_line: the one line a command-line mistake prints, with the nearest
// real command or option, on a small CLI11 app shaped like saturn's.
#include <catch2/catch.hpp>

#include "core/usage_line.h"

using namespace saturn;

namespace {

// What parsing `args` with a small app (commands plan and status; plan
// takes a file, --dry-run, --time-limit and a whole-number --threads)
// prints, or "ok".
std::string line_for(std::vector<std::string> args) {
  CLI::App app{"test", "saturn"};
  app.set_version_flag("--version", "saturn 0");
  app.require_subcommand(1);
  std::string file;
  int64_t threads = 0;
  auto* plan = app.add_subcommand("plan", "Plan");
  plan->add_option("workload", file)->required();
  plan->add_flag("--dry-run");
  plan->add_option("--time-limit", file);
  plan->add_option("--threads", threads)->check(at_least(1));
  app.add_subcommand("status", "Status");
  std::vector<std::string> argv(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    app.parse(argv);
  } catch (const CLI::ParseError& e) {
    return usage_line(app, e, args);
  }
  return "ok";
}

}  // namespace

TEST_CASE("usage line: unknown commands and options name the nearest real one and the help to read") {
  CHECK(line_for({"plan", "w.yaml", "--threads", "2"}) == "ok");
  CHECK(line_for({"plam", "w.yaml"}) == "saturn: unknown command \"plam\"; did you mean plan? (saturn --help)");
  CHECK(line_for({"stat"}) == "saturn: unknown command \"stat\"; did you mean status? (saturn --help)");
  CHECK(line_for({"frobnicate"}) == "saturn: unknown command \"frobnicate\" (saturn --help)");
  CHECK(line_for({}) == "saturn: a command is required: plan, status (saturn --help)");
  CHECK(line_for({"--verson"}) == "saturn: unknown option --verson; did you mean --version? (saturn --help)");
  CHECK(line_for({"plan", "w.yaml", "--dryrun"}) == "saturn plan: unknown option --dryrun; did you mean --dry-run? (saturn plan --help)");
  CHECK(line_for({"plan", "w.yaml", "--time-limt=3s"}) ==
        "saturn plan: unknown option --time-limt; did you mean --time-limit? (saturn plan --help)");
  CHECK(line_for({"plan", "w.yaml", "--frobnicate"}) == "saturn plan: unknown option --frobnicate (saturn plan --help)");
  CHECK(line_for({"plan", "w.yaml", "more"}) == "saturn plan: unexpected argument \"more\" (saturn plan --help)");
  CHECK(line_for({"plan"}) == "saturn plan: workload is required (saturn plan --help)");
}

TEST_CASE("usage line: whole-number flags say their range in words") {
  CHECK(line_for({"plan", "w.yaml", "--threads", "0"}) ==
        "saturn plan: --threads: expected a whole number of at least 1, got \"0\" (saturn plan --help)");
  CHECK(line_for({"plan", "w.yaml", "--threads", "1.5"}) ==
        "saturn plan: --threads: expected a whole number of at least 1, got \"1.5\" (saturn plan --help)");
  CHECK(line_for({"plan", "w.yaml", "--threads", "-3"}) ==
        "saturn plan: --threads: expected a whole number of at least 1, got \"-3\" (saturn plan --help)");
}
