// The run directory a command that reads a run (`saturn status`, `saturn
// report`) was pointed at: a run directory, a workload file (its default
// run directory), or "" (the newest run under ./runs). A NoInput error,
// naming `command` in its hint, when there is none.
#pragma once

#include <string>

namespace saturn::cmd {

std::string find_run_dir(const std::string& arg, const std::string& command);

}  // namespace saturn::cmd
