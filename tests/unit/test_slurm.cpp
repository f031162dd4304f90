// Slurm allocations from captured SLURM_* environments (issue 9, item 1):
// host lists, per-node CPU counts, GPUs, restarts, and the cluster they make.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/slurm_env.h"

using namespace saturn;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("slurm: host lists expand as scontrol show hostnames does") {
  CHECK(expand_hostlist("node1") == std::vector<std::string>{"node1"});
  CHECK(expand_hostlist("gpu[01-03,07],login-1") ==
        std::vector<std::string>{"gpu01", "gpu02", "gpu03", "gpu07", "login-1"});
  CHECK(expand_hostlist("n[8-11]") == std::vector<std::string>{"n8", "n9", "n10", "n11"});
  CHECK(expand_hostlist("rack[1-2]-n[01-02]") ==
        std::vector<std::string>{"rack1-n01", "rack1-n02", "rack2-n01", "rack2-n02"});
  CHECK(expand_hostlist("a[009-011],b") == std::vector<std::string>{"a009", "a010", "a011", "b"});
  CHECK(error_of([] { expand_hostlist("gpu[01-03"); }) == "SLURM_JOB_NODELIST gpu[01-03: unbalanced '['");
  CHECK(error_of([] { expand_hostlist("gpu[3-1]"); }) == "SLURM_JOB_NODELIST gpu[3-1]: range \"3-1\" runs backwards");
  CHECK(error_of([] { expand_hostlist("gpu[a-b]"); }) == "SLURM_JOB_NODELIST gpu[a-b]: bad range \"a-b\"");
  CHECK(error_of([] { expand_hostlist("a,,b"); }) == "SLURM_JOB_NODELIST a,,b: an empty host name");
}

TEST_CASE("slurm: per-node counts") {
  CHECK(expand_counts("16(x2),8") == std::vector<int64_t>{16, 16, 8});
  CHECK(expand_counts("4") == std::vector<int64_t>{4});
  CHECK(error_of([] { expand_counts("16(x2"); }) == "SLURM_JOB_CPUS_PER_NODE 16(x2: expected N(xM)");
}

TEST_CASE("slurm: allocations from captured environments") {
  // Outside Slurm: nothing.
  CHECK_FALSE(slurm_allocation({{"HOME", "/root"}}));
  // A 2-node GPU job (sbatch -N2 --gres=gpu:4 --cpus-per-task=...).
  auto a = slurm_allocation({{"SLURM_JOB_ID", "4242"},
                             {"SLURM_JOB_NODELIST", "gpu[07-08]"},
                             {"SLURM_JOB_CPUS_PER_NODE", "32(x2)"},
                             {"SLURM_GPUS_ON_NODE", "4"},
                             {"SLURM_JOB_GPUS", "0,1,2,3"}});
  REQUIRE(a);
  CHECK(a->job_id == "4242");
  CHECK(a->hosts == std::vector<std::string>{"gpu07", "gpu08"});
  CHECK(a->cpus == std::vector<int64_t>{32, 32});
  CHECK(a->gpus_per_node == 4);
  CHECK(a->restart_count == 0);
  Cluster c = slurm_cluster(*a, "A100-40GB", 0);
  REQUIRE(c.nodes.size() == 2);
  CHECK(c.nodes[1].name == "gpu08");
  CHECK(c.nodes[1].kind == DeviceKind::Cuda);
  CHECK(c.nodes[1].count == 4);
  CHECK(c.nodes[1].model == "A100-40GB");
  CHECK(c.total_devices() == 8);
  // GPUs from the ids alone; a requeued job; heterogeneous CPUs.
  a = slurm_allocation({{"SLURM_JOB_ID", "7"},
                        {"SLURM_JOB_NODELIST", "a,b[1-2]"},
                        {"SLURM_JOB_CPUS_PER_NODE", "8,4(x2)"},
                        {"SLURM_JOB_GPUS", "2,3"},
                        {"SLURM_RESTART_COUNT", "1"}});
  REQUIRE(a);
  CHECK(a->hosts == std::vector<std::string>{"a", "b1", "b2"});
  CHECK(a->cpus == std::vector<int64_t>{8, 4, 4});
  CHECK(a->gpus_per_node == 2);
  CHECK(a->restart_count == 1);
  // --gpus-per-node=a100:2 only.
  a = slurm_allocation({{"SLURM_JOB_ID", "8"}, {"SLURM_JOB_NODELIST", "x"}, {"SLURM_GPUS_PER_NODE", "a100:2"}});
  REQUIRE(a);
  CHECK(a->gpus_per_node == 2);
  // A CPU-only job: one cpu device per host with its CPUs as threads.
  a = slurm_allocation({{"SLURM_JOB_ID", "9"}, {"SLURM_JOB_NODELIST", "c[1-2]"}, {"SLURM_CPUS_ON_NODE", "16"}});
  REQUIRE(a);
  c = slurm_cluster(*a, "", 4LL << 30);
  CHECK(c.nodes[0].kind == DeviceKind::Cpu);
  CHECK(c.nodes[0].threads == 16);
  CHECK(c.nodes[0].count == 1);
  // The node list expands through the given function (scontrol in a real job).
  a = slurm_allocation({{"SLURM_JOB_ID", "10"}, {"SLURM_JOB_NODELIST", "whatever"}},
                       [](const std::string&) { return std::vector<std::string>{"h1", "h2"}; });
  CHECK(a->hosts == std::vector<std::string>{"h1", "h2"});
  // Malformed variables: one line naming them.
  CHECK(error_of([] { slurm_allocation({{"SLURM_JOB_ID", "1"}}); }) ==
        "SLURM_JOB_ID is set but SLURM_JOB_NODELIST is not: not inside a Slurm allocation");
  CHECK(error_of([] {
          slurm_allocation({{"SLURM_JOB_ID", "1"}, {"SLURM_JOB_NODELIST", "a,b"}, {"SLURM_JOB_CPUS_PER_NODE", "4"}});
        }) == "SLURM_JOB_CPUS_PER_NODE 4: 1 counts for 2 hosts");
  CHECK(error_of([] {
          slurm_allocation({{"SLURM_JOB_ID", "1"}, {"SLURM_JOB_NODELIST", "a"}, {"SLURM_GPUS_ON_NODE", "four"}});
        }) == "SLURM_GPUS_ON_NODE \"four\": expected a count");
}
