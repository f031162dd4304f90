// The source checkout's folder, for tests that read the repository's files
// (workloads, reference scripts).
#pragma once

#include <string>

// The checkout the tests were configured from. Its path is compiled into one
// small unit (source_dir.cpp) and no other, so a fresh clone in another
// folder still finds every other test unit in ccache.
const std::string& source_dir();
