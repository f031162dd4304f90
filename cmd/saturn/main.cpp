// saturn: one binary, CLI11 subcommands (the README's command table). main parses
// the command line, runs the chosen command, and maps every failure to one
// line on stderr and a sysexits code.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>

#include "commands.h"
#include "core/error.h"
#include "core/usage_line.h"

#ifndef SATURN_VERSION
#define SATURN_VERSION "unknown"
#endif

#include <unistd.h>

std::string saturn::cmd::self_executable() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "saturn";
}

int main(int argc, char** argv) {
  CLI::App app{
      "saturn: finishes a multi-model training workload (hyperparameter search, model\n"
      "selection) sooner on the devices you have, by choosing each job's parallelism,\n"
      "device count and start time jointly. See saturn(1) and saturn-workload(5).",
      "saturn"};
  app.set_version_flag("--version", std::string("saturn ") + SATURN_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  saturn::cmd::Action action;
  saturn::cmd::add_validate(app, action);
  saturn::cmd::add_jobs(app, action);
  saturn::cmd::add_data(app, action);
  saturn::cmd::add_profile(app, action);
  saturn::cmd::add_plan(app, action);
  saturn::cmd::add_run(app, action);
  saturn::cmd::add_status(app, action);
  saturn::cmd::add_report(app, action);
#ifdef SATURN_WITH_TORCH
  saturn::cmd::add_worker(app, action);
  saturn::cmd::add_export(app, action);
  saturn::cmd::add_generate(app, action);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << saturn::usage_line(app, e, std::vector<std::string>(argv + 1, argv + argc)) << "\n";
    return static_cast<int>(saturn::ErrorKind::Usage);
  }

  int rc = 0;
  try {
    rc = action();
  } catch (const saturn::Error& e) {
    std::cerr << e.what() << "\n";
    rc = e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "saturn: internal error: " << e.what() << "\n";
    rc = static_cast<int>(saturn::ErrorKind::Internal);
  }
  // Every command has closed what it wrote (its files, databases and child
  // processes belong to scopes that have ended); the static destructors left
  // are LibTorch's operator registry, about 0.15 s of every process's exit
  // and of every job's.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(rc);
}
