// The subcommands of `saturn`. Each add_X() registers one subcommand on the
// CLI11 app, parsing its flags into an option struct; when the subcommand is
// chosen, it stores in `action` the function that runs it. The function
// returns the exit code and throws saturn::Error on failure (main maps it).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace saturn::cmd {

using Action = std::function<int()>;

// This saturn's executable (/proc/self/exe), for the processes it forks.
std::string self_executable();

void add_validate(CLI::App& app, Action& action);
void add_jobs(CLI::App& app, Action& action);
void add_data(CLI::App& app, Action& action);
void add_profile(CLI::App& app, Action& action);
void add_plan(CLI::App& app, Action& action);
void add_run(CLI::App& app, Action& action);
void add_status(CLI::App& app, Action& action);
void add_report(CLI::App& app, Action& action);
#ifdef SATURN_WITH_TORCH
void add_worker(CLI::App& app, Action& action);
void add_export(CLI::App& app, Action& action);
void add_generate(CLI::App& app, Action& action);
#endif

}  // namespace saturn::cmd
