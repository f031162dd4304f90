// Slurm allocations from captured SLURM_* environments (issue 9, item 1):
// host lists, per-node CPU counts, GPUs, restarts, and the cluster they make.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/slurm_env.h"
#include "core/text.h"
#include "exec/signals.h"
#include "exec/slurm_launcher.h"
#include "exec/slurm_script.h"

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
  Node gpu_tmpl{"slurm", 1, DeviceKind::Cuda, 1, "A100-40GB"};
  Cluster c = slurm_cluster(*a, gpu_tmpl);
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
  Node auto_tmpl{"slurm", 1, DeviceKind::Auto, 1, "", 4LL << 30, 4};
  c = slurm_cluster(*a, auto_tmpl);  // kind auto without GPUs: the CPUs, 4 threads per device
  CHECK(c.nodes[0].kind == DeviceKind::Cpu);
  CHECK(c.nodes[0].threads == 4);
  CHECK(c.nodes[0].count == 4);
  CHECK(c.nodes[1].name == "c2");
  CHECK(c.nodes[0].memory == 4LL << 30);
  CHECK(c.slurm == auto_tmpl);
  CHECK(error_of([&] { slurm_cluster(*a, gpu_tmpl); }) ==
        "cluster: slurm: devices.kind is cuda, but Slurm job 9 holds no GPUs (ask for them: sbatch --gres=gpu:N)");
  // The node list expands through the given function (scontrol in a real job).
  a = slurm_allocation({{"SLURM_JOB_ID", "10"}, {"SLURM_JOB_NODELIST", "whatever"}},
                       [](const std::string&) { return std::vector<std::string>{"h1", "h2"}; });
  CHECK(a->hosts == std::vector<std::string>{"h1", "h2"});
  // Malformed variables: one line naming them.
  CHECK(error_of([] { slurm_allocation({{"SLURM_JOB_ID", "1;x"}}); }) == "SLURM_JOB_ID \"1;x\": expected a job number");
  CHECK(error_of([] { slurm_allocation({{"SLURM_JOB_ID", "1"}}); }) ==
        "SLURM_JOB_ID is set but SLURM_JOB_NODELIST is not: not inside a Slurm allocation");
  CHECK(error_of([] {
          slurm_allocation({{"SLURM_JOB_ID", "1"}, {"SLURM_JOB_NODELIST", "a,b"}, {"SLURM_JOB_CPUS_PER_NODE", "4"}});
        }) == "SLURM_JOB_CPUS_PER_NODE 4: 1 counts for 2 hosts");
  CHECK(error_of([] {
          slurm_allocation({{"SLURM_JOB_ID", "1"}, {"SLURM_JOB_NODELIST", "a"}, {"SLURM_GPUS_ON_NODE", "four"}});
        }) == "SLURM_GPUS_ON_NODE \"four\": expected a count");
}

TEST_CASE("slurm: a step's task finds its rank and its GPU") {
  CHECK_FALSE(slurm_task({{"SLURM_JOB_ID", "5"}}));  // the batch script, not a step
  auto t = slurm_task({{"SLURM_JOB_ID", "5"},
                       {"SLURM_STEP_ID", "3"},
                       {"SLURM_PROCID", "1"},
                       {"SLURM_NTASKS", "2"},
                       {"SLURM_LOCALID", "1"},
                       {"SLURMD_NODENAME", "gpu07"},
                       {"CUDA_VISIBLE_DEVICES", "2,3"}});
  REQUIRE(t);
  CHECK(t->step == "5.3");
  CHECK(t->rank == 1);
  CHECK(t->ntasks == 2);
  CHECK(t->host == "gpu07");
  CHECK(t->visible_gpus == std::vector<std::string>{"2", "3"});
  // The step's tasks share CUDA_VISIBLE_DEVICES=2,3: device cuda:1 is ordinal 1.
  CHECK(step_cuda_ordinal(1, 2) == 1);
  // Per-task binding (--gpu-bind): each task sees only its own GPU.
  CHECK(step_cuda_ordinal(1, 1) == 0);
  CHECK(error_of([] { step_cuda_ordinal(0, 0); }) ==
        "the Slurm step sees no GPU (CUDA_VISIBLE_DEVICES is empty): srun --gres=gpu:N");
  CHECK(error_of([] { step_cuda_ordinal(3, 2); }) == "device cuda:3: the Slurm step sees 2 GPUs (CUDA_VISIBLE_DEVICES)");
  CHECK(error_of([] {
          slurm_task({{"SLURM_JOB_ID", "5"}, {"SLURM_STEP_ID", "0"}, {"SLURM_PROCID", "2"}, {"SLURM_NTASKS", "2"}});
        }) == "SLURM_PROCID 2: not below SLURM_NTASKS 2");
}

TEST_CASE("slurm: the sbatch script for a plan") {
  CHECK(slurm_time_minutes(0) == 10);                  // 10 minutes of margin
  CHECK(slurm_time_minutes(2 * 3600) == 160);          // + 25%
  CHECK(slurm_time_text(160) == "2:40:00");
  CHECK(slurm_time_text(3 * 1440 + 61) == "3-01:01:00");
  CHECK(slurm_signal_lead_s(160) == 300);              // 5 minutes before the limit
  CHECK(slurm_signal_lead_s(10) == 150);               // a quarter of a short one
  SlurmScriptInput in;
  in.workload = "my runs/w.yaml";
  in.name = "txt";
  in.nodes = 2;
  in.gpus_per_node = 8;
  in.tasks_per_node = 8;
  in.cpus_per_task = 4;
  in.makespan_s = 2 * 3600;
  in.jobs = 12;
  in.devices = "2 x 8 A100-40GB";
  const std::string s = slurm_script(in);
  CHECK(s.rfind("#!/bin/bash\n# saturn run for workload txt: 12 jobs, planned to take 2h 00m on 2 x 8 A100-40GB.\n", 0) == 0);
  for (const char* line : {"#SBATCH --job-name=saturn-txt\n", "#SBATCH --nodes=2\n", "#SBATCH --cpus-per-task=4\n",
                           "#SBATCH --gres=gpu:8\n", "#SBATCH --requeue", "#SBATCH --signal=B:USR1@300 ",
                           "#SBATCH --time=2:40:00 ", "#SBATCH --ntasks-per-node=8 ",
                           "\nexec saturn run 'my runs/w.yaml'\n"})
    CHECK(s.find(line) != std::string::npos);
  // A run directory with done jobs: the rest; all of them: it says so, not "0 jobs in 0 s".
  in.done = 4;
  CHECK(slurm_script(in).find("# saturn run for workload txt: 8 jobs (4 more done), planned to take 2h 00m") !=
        std::string::npos);
  in.done = 12;
  in.run_dir = "runs/x";
  CHECK(slurm_script(in).find("# saturn run for workload txt: all 12 jobs are done in runs/x; the job prints the "
                              "leaderboard.\n") != std::string::npos);
  in.done = 0;
  in.gpus_per_node = 0;
  in.run_dir = "runs/x";
  const std::string cpu = slurm_script(in);
  CHECK(cpu.find("--gres") == std::string::npos);
  CHECK(cpu.find("exec saturn run 'my runs/w.yaml' --run-dir runs/x\n") != std::string::npos);
  CHECK(cpu.find("cluster: slurm` makes saturn plan on what this job is given") != std::string::npos);
  // Every option given is kept, with the binary's path; extra #SBATCH lines
  // after saturn's; a workload that lists its node says so.
  in.saturn = "/opt/saturn dir/saturn";
  in.run_args = {"--store", "/data/p.db", "--max-restarts", "5"};
  in.sbatch = {"--partition=gpu", "--account=ml"};
  in.cluster_slurm = false;
  const std::string kept = slurm_script(in);
  CHECK(kept.find("\n#SBATCH --partition=gpu\n#SBATCH --account=ml\nexec '/opt/saturn dir/saturn' run 'my runs/w.yaml' "
                  "--run-dir runs/x --store /data/p.db --max-restarts 5\n") != std::string::npos);
  CHECK(kept.find("# The workload lists its node: saturn trains on the node this job is given") != std::string::npos);
  CHECK(kept.find("makes saturn plan on what this job is given") == std::string::npos);
}

TEST_CASE("slurm: a job group is one srun job step") {
  SignalPipe signals;
  LocalLauncherOptions o;
  o.saturn = "/opt/saturn";
  o.workload = "w.yaml";
  o.run_dir = "runs/w";
  o.nodes = {{"gpu07", true, 1, 8, 4}, {"c1", false, 2, 0, 1}};
  SlurmLauncher l(o, signals, "/usr/bin/srun");
  LaunchSpec spec;
  spec.job = "gpt/lr=1e-3";
  spec.technique = "ddp";
  spec.knobs = "";
  spec.node = "gpu07";
  spec.device_ids = {2, 3};
  const auto gpu = join(l.step_command(spec, o.nodes[0], "runs/w/jobs/gpt/lr=1e-3/rendezvous-slurm-1-9"), " ");
  CHECK(gpu ==
        "/usr/bin/srun --job-name=saturn:gpt/lr=1e-3 --nodes=1 --ntasks=2 --nodelist=gpu07 --exclusive "
        "--cpus-per-task=4 --mem=0 --kill-on-bad-exit=1 --gres=gpu:2 /opt/saturn worker w.yaml --job gpt/lr=1e-3 "
        "--run-dir runs/w --devices cuda:0,cuda:1 --rendezvous runs/w/jobs/gpt/lr=1e-3/rendezvous-slurm-1-9 "
        "--technique ddp --slurm-step");
  // A CPU node: no GPUs asked for, `threads` CPUs per task; one rank needs no rendezvous.
  spec.node = "c1";
  spec.technique = "single";
  spec.device_ids = {0};
  CHECK(join(l.step_command(spec, o.nodes[1], "r"), " ") ==
        "/usr/bin/srun --job-name=saturn:gpt/lr=1e-3 --nodes=1 --ntasks=1 --nodelist=c1 --exclusive --cpus-per-task=2 "
        "--mem=0 --kill-on-bad-exit=1 /opt/saturn worker w.yaml --job gpt/lr=1e-3 --run-dir runs/w --devices cpu "
        "--technique single --threads 2 --slurm-step");
  CHECK(error_of([&] { SlurmLauncher(o, signals, "no-such-srun-here"); }) ==
        "no-such-srun-here: not found on PATH (saturn starts Slurm job steps with it)");
}
