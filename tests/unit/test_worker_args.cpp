// WorkerArgs: the `saturn worker` command line written once, read back.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/worker_args.h"

using namespace saturn;

namespace {
// The arguments after "saturn worker" of to_argv().
std::vector<std::string> tail(const WorkerArgs& a) {
  auto v = a.to_argv("/bin/saturn");
  REQUIRE(v.size() >= 2);
  CHECK(v[0] == "/bin/saturn");
  CHECK(v[1] == "worker");
  return {v.begin() + 2, v.end()};
}
}  // namespace

TEST_CASE("worker args: defaults write the fewest flags and read back equal") {
  WorkerArgs a;
  a.workload = "w.yaml";
  a.jobs = {"gpt/lr=1e-3,bs=8"};
  a.run_dir = "runs/q";
  CHECK(tail(a) == std::vector<std::string>{"w.yaml", "--job", "gpt/lr=1e-3,bs=8", "--run-dir", "runs/q", "--devices", "cpu"});
  CHECK(WorkerArgs::parse(tail(a)) == a);
}

TEST_CASE("worker args: every field survives to_argv and parse") {
  WorkerArgs a;
  a.workload = "/abs/w.yaml";
  a.jobs = {"a/lr=1", "a/lr=2", "a/lr=3"};
  a.run_dir = "/tmp/run dir";  // a space stays one argument
  a.devices = {"cuda:0", "cuda:1"};
  a.rank = 1;
  a.rendezvous = "/tmp/rv";
  a.backend = "nccl";
  a.technique = Technique::Fused;
  a.group_blocks = 3;
  a.micro_batches = 8;
  a.gpipe = true;
  a.no_recompute = true;
  a.offload = true;
  a.copies = 4;
  a.steps = 50;
  a.micro_batch = 2;
  a.threads = 3;
  a.resume = false;
  a.trial = true;
  a.also = {"fsdp:recompute=0", "pipeline:micro=4", "single"};
  a.slurm_step = true;
  a.chat_time = 1733529600;
  CHECK(WorkerArgs::parse(tail(a)) == a);
  for (Technique t : all_techniques()) {
    a.technique = t;
    CHECK(WorkerArgs::parse(tail(a)).technique == t);
  }
}

TEST_CASE("worker args: a strategy's knobs become flags") {
  WorkerArgs a;
  a.apply_knobs("micro=8,group=2");
  CHECK(a.micro_batches == 8);
  CHECK(a.group_blocks == 2);
  CHECK_FALSE(a.no_recompute);
  WorkerArgs b;
  b.apply_knobs("recompute=0,offload=1,schedule=gpipe");
  CHECK(b.no_recompute);
  CHECK(b.offload);
  CHECK(b.gpipe);
  WorkerArgs c;
  c.apply_knobs("k=4");  // a fused group's K is its --job flags, not a knob flag
  c.apply_knobs("");
  CHECK(c == WorkerArgs{});
}

TEST_CASE("worker args: bad command lines get one usage line") {
  auto fails = [](const std::vector<std::string>& args, const std::string& text) {
    try {
      WorkerArgs::parse(args);
      FAIL("parsed: " << text);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::Usage);
      CHECK_THAT(e.what(), Catch::Contains(text));
    }
  };
  fails({"w.yaml", "--run-dir", "r"}, "--job is required");
  fails({"w.yaml", "--job", "j", "--run-dir", "r", "--technique", "zero"},
        "--technique: \"zero\" is not one the engine runs (single, ddp, fsdp, pipeline, spill, fused)");
  fails({"w.yaml", "--job", "j", "--run-dir", "r", "--steps", "many"}, "--steps");
  fails({"w.yaml", "--job", "j", "--run-dir", "r", "--bogus"}, "--bogus");
}

TEST_CASE("worker args: a trial's further strategies, each a one-strategy command of its own") {
  WorkerArgs a;
  a.workload = "w.yaml";
  a.jobs = {"j"};
  a.run_dir = "/scratch/trial-3";
  a.devices = {"cuda:0", "cuda:1"};
  a.technique = Technique::Fsdp;
  a.apply_knobs("recompute=0,offload=1");
  a.trial = true;
  a.threads = 2;
  a.also = {WorkerArgs::strategy_text(Technique::Fsdp, ""), WorkerArgs::strategy_text(Technique::Pipeline, "micro=4"),
            WorkerArgs::strategy_text(Technique::Fused, "k=4")};
  CHECK(a.also == std::vector<std::string>{"fsdp", "pipeline:micro=4", "fused:k=4"});
  CHECK(a.settings() == 4);
  const WorkerArgs first = a.setting(0);
  CHECK(first.also.empty());
  CHECK(first.run_dir == a.run_dir);
  CHECK(first.no_recompute);
  const WorkerArgs fsdp = a.setting(1);  // its own knobs: the defaults, not the first's
  CHECK(fsdp.technique == Technique::Fsdp);
  CHECK_FALSE(fsdp.no_recompute);
  CHECK_FALSE(fsdp.offload);
  CHECK(fsdp.run_dir == "/scratch/trial-3/also-1");
  CHECK(fsdp.devices == a.devices);
  CHECK(fsdp.threads == 2);
  CHECK(fsdp.trial);
  CHECK(fsdp.also.empty());
  const WorkerArgs pipe = a.setting(2);
  CHECK(pipe.technique == Technique::Pipeline);
  CHECK(pipe.micro_batches == 4);
  CHECK(a.setting(3).copies == 4);
  CHECK_THROWS_WITH(a.setting(4), "--also: no setting 4");
  a.also = {"zero:stage=3"};
  CHECK_THROWS_WITH(a.setting(1), Catch::Contains("--also: \"zero:stage=3\" is not a strategy the engine runs"));
}
