// Requeueing the Slurm job (exec/slurm_requeue.h) against an `scontrol` on
// PATH that behaves as Slurm does at the edges: it is signalled as the job
// it requeues ends, its reply times out though the requeue went through, or
// it refuses.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "exec/slurm_requeue.h"
#include "temp_dir.h"

using namespace saturn;

namespace {

// Puts an executable `scontrol` holding `body` first on PATH for its lifetime.
struct FakeScontrol {
  test::TempDir dir{"scontrol"};
  std::string old_path;
  explicit FakeScontrol(const std::string& body) {
    const std::string exe = (dir.path / "scontrol").string();
    std::ofstream(exe) << "#!/bin/bash\n" << body;
    ::chmod(exe.c_str(), 0755);
    old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
    ::setenv("PATH", (dir.path.string() + ":" + old_path).c_str(), 1);
  }
  ~FakeScontrol() { ::setenv("PATH", old_path.c_str(), 1); }
};

std::vector<std::string> requeue(const SlurmAllocation& a) {
  std::vector<std::string> said;
  requeue_slurm_job(a, "/runs/r", [&](const std::string& l) { said.push_back(l); });
  return said;
}

}  // namespace

TEST_CASE("slurm requeue: when a stop asks for one") {
  SlurmAllocation a;
  a.job_id = "7";
  CHECK(wants_requeue(a, 128 + SIGUSR1));
  CHECK_FALSE(wants_requeue(a, 128 + SIGTERM));
  CHECK_FALSE(wants_requeue(a, 0));
  CHECK_FALSE(wants_requeue(std::nullopt, 128 + SIGUSR1));
  CHECK(restarts_in("JobId=7 JobName=x Restarts=2 BatchFlag=1") == 2);
  CHECK(restarts_in("JobId=7 Requeue=1 Restarts=0\n") == 0);
  CHECK(restarts_in("JobId=7 MaxRestarts=3") == std::nullopt);
  CHECK(restarts_in("") == std::nullopt);
}

TEST_CASE("slurm requeue: scontrol signalled by the job it requeues still requeues it") {
  // Slurm sends SIGTERM to every process of the job as it requeues it,
  // scontrol included, which can land before scontrol exits (seen in CI).
  SlurmAllocation a;
  a.job_id = "7";
  FakeScontrol fake("[ \"$1\" = requeue ] || exit 3\nkill -TERM $$\nsleep 0.2\nexit 0\n");
  CHECK(requeue(a) == std::vector<std::string>{"Slurm job 7 requeued: it resumes /runs/r when it starts again"});
}

TEST_CASE("slurm requeue: a failed reply is checked against the restart count") {
  SlurmAllocation a;
  a.job_id = "7";
  a.restart_count = 1;
  SECTION("the requeue went through") {
    FakeScontrol fake(
        "[ \"$1\" = requeue ] && { echo 'slurm_requeue error: Socket timed out on send/recv operation'; exit 1; }\n"
        "echo 'JobId=7 JobName=saturn Restarts=2 BatchFlag=1'\n");
    CHECK(requeue(a) == std::vector<std::string>{"Slurm job 7 requeued: it resumes /runs/r when it starts again"});
  }
  SECTION("it did not") {
    FakeScontrol fake(
        "[ \"$1\" = requeue ] && { echo 'Requested operation is presently disabled for job 7'; exit 1; }\n"
        "echo 'JobId=7 JobName=saturn Restarts=1 BatchFlag=1'\n");
    CHECK(requeue(a) == std::vector<std::string>{
                            "scontrol requeue 7 failed (Requested operation is presently disabled for job 7): submit "
                            "the same script again to resume /runs/r"});
  }
  SECTION("scontrol is missing") {
    FakeScontrol fake("exit 0\n");
    ::setenv("PATH", fake.dir.path.string().c_str(), 1);
    std::filesystem::remove(fake.dir.path / "scontrol");
    CHECK(requeue(a) == std::vector<std::string>{
                            "scontrol requeue 7 failed (scontrol is not on PATH): submit the same script again to "
                            "resume /runs/r"});
  }
}
