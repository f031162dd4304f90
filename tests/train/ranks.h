// Test helper: runs a body on forked ranks joined by the shm communicator.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "train/comm/comm.h"

namespace saturn::train {

// Runs `body(comm)` on `world` forked ranks; returns true when all exit 0.
inline std::vector<pid_t> last_ranks;  // the pids of on_ranks' last ranks

inline bool on_ranks(int world, const std::function<bool(Communicator&)>& body) {
  const std::string store = "/tmp/saturn-test-store-" + std::to_string(::getpid());
  std::filesystem::remove(store);
  std::vector<pid_t> pids;
  for (int r = 0; r < world; ++r) {
    pid_t pid = ::fork();
    if (pid == 0) {
      // The parent's OpenMP thread pool does not survive fork(): one thread.
      torch::set_num_threads(1);
      int code = 1;
      try {
        auto comm = connect({store, r, world, "shm", 60});
        code = body(*comm) ? 0 : 1;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "rank %d: %s\n", r, e.what());
        code = 2;
      }
      ::_exit(code);
    }
    pids.push_back(pid);
  }
  last_ranks = pids;
  bool ok = true;
  for (pid_t p : pids) {
    int status = 0;
    ::waitpid(p, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  std::filesystem::remove(store);
  return ok;
}

}  // namespace saturn::train
