// machine_warnings: what a workload asks of this machine that it lacks.
#include <catch2/catch.hpp>

#include "app/machine_warnings.h"
#include "workload_text.h"

using namespace saturn;

namespace {

Workload with_devices(const std::string& devices_line) {
  LoadOptions lo;
  lo.check_files = false;
  lo.resolve_slurm = false;
  return parse_workload(test::with_line(5, devices_line), "w.yaml", "", lo);
}

}  // namespace

TEST_CASE("machine warnings: cpu threads beyond the cores, cuda devices without one, nothing for Slurm") {
  const Workload eight = with_devices("      devices: {kind: cpu, count: 8, threads: 2}");
  CHECK(machine_warnings(eight, 2, false) ==
        std::vector<std::string>{"the cluster's cpu devices use 16 threads (8 devices) on this machine's 2 cores: jobs "
                                 "slow each other down and measured steps mislead the plan; lower devices.count or "
                                 "devices.threads"});
  CHECK(machine_warnings(eight, 16, false).empty());
  CHECK(machine_warnings(eight, 0, false).empty());  // cores unknown: nothing said
  const Workload gpu = with_devices("      devices: {kind: cuda, count: 8, model: H100-80GB}");
  CHECK(machine_warnings(gpu, 2, false) ==
        std::vector<std::string>{"node local lists cuda devices and this machine has none: their jobs cannot start "
                                 "here (saturn plan plans for another machine; so does cluster: slurm)"});
  CHECK(machine_warnings(gpu, 2, true).empty());
  const Workload automatic = with_devices("      devices: {kind: auto, count: 4, threads: 1}");
  CHECK(machine_warnings(automatic, 2, true).empty());  // cuda here
  CHECK(machine_warnings(automatic, 2, false).size() == 1);  // 4 cpu threads on 2 cores
  LoadOptions lo;
  lo.check_files = false;
  lo.resolve_slurm = false;
  const Workload slurm = parse_workload(test::with_lines(2, 5, "cluster:\n  slurm:\n    nodes: 2\n    devices: {kind: cuda, count: 8, model: H100-80GB}"),
                                        "w.yaml", "", lo);
  REQUIRE(slurm.cluster.slurm);
  CHECK(machine_warnings(slurm, 2, false).empty());
}
