// The planner fuses a learning-rate grid exactly when the profile says a
// fused group pays: workload -> profile store -> plan problem -> CBC.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <map>

#include "profile/workload_problem.h"
#include "core/job.h"
#include "core/workload.h"
#include "profile/store.h"
#include "profile/trials.h"

using namespace saturn;

namespace {

const char* kSweep =
    "name: sweep\n"
    "cluster: {nodes: [{name: local, devices: {kind: cpu, count: 1, memory: 1GiB, threads: 1}}]}\n"
    "data: {train: {format: synthetic, samples: 256}}\n"
    "models: [{name: gpt, arch: gpt, config: {layers: 2, width: 32, heads: 2, seq_len: 32}}]\n"
    "search: {grid: {lr: [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2], batch_size: 8}}\n"
    "train: {steps: 200}\n"
    "techniques: [single, fused]\n";

// LoRA on a random base: 4 learning rates x 2 seeds (two bases).
const char* kLoraSeeds =
    "name: lora\n"
    "cluster: {nodes: [{name: local, devices: {kind: cpu, count: 1, memory: 1GiB, threads: 1}}]}\n"
    "data: {train: {format: synthetic, samples: 256}}\n"
    "models: [{name: gpt, arch: gpt, config: {layers: 2, width: 32, heads: 2, seq_len: 32}}]\n"
    "finetune: {method: lora, lora: {rank: 4}}\n"
    "search: {grid: {lr: [1e-4, 2e-4, 5e-4, 1e-3], seed: [1, 2], batch_size: 8}}\n"
    "train: {steps: 200}\n"
    "techniques: [single, fused]\n";

// A store with single at `single` s/step and fused groups of K = 2, 4, 8 at
// `fused[K]` s/step, all measured; returns the plan's items' techniques and
// the fused groups' job ids.
std::vector<std::string> plan_with(double single, std::map<int64_t, double> fused, size_t* fused_jobs,
                                   const char* workload = kSweep, std::vector<std::vector<std::string>>* groups_out = nullptr,
                                   double fixed = 0.01) {
  LoadOptions lo;
  lo.check_files = false;
  const Workload w = parse_workload(workload, "w.yaml", "", lo);
  const JobSet jobs = expand_jobs(w);
  const auto groups = device_groups(w, false);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("saturn-test-fusion-" + std::to_string(::getpid()) + ".db")).string();
  std::filesystem::remove(path);
  std::vector<std::string> out;
  {
    ProfileStore store(path);
    auto put = [&](Technique t, const std::string& knobs, double step) {
      ProfileEntry e;
      e.key = {jobs.shapes[0].hash, t, knobs, "cpu", 1, 1};
      e.shape_id = jobs.shapes[0].id;
      e.step_time = step;
      e.timed_steps = 10;
      e.startup = fixed;  // each job's (each group's) fixed cost
      e.peak_memory = 1 << 20;
      e.accounted_memory = 1 << 20;
      store.put(e);
    };
    put(Technique::Single, "", single);
    for (auto [k, step] : fused) put(Technique::Fused, "k=" + std::to_string(k), step);
    const auto wp = workload_problem(w, jobs, groups, store, {});
    const Plan plan = solve_plan(wp.problem, plan_options(w, "", 1));
    *fused_jobs = 0;
    for (const auto& item : plan.items) {
      const auto& opt = wp.problem.options[item.option];
      out.push_back(opt.technique);
      if (opt.technique == "fused") *fused_jobs += opt.jobs.size();
      if (opt.technique == "fused" && groups_out) {
        groups_out->emplace_back();
        for (size_t j : opt.jobs) groups_out->back().push_back(wp.problem.jobs[j]);
      }
    }
  }
  std::filesystem::remove(path);
  return out;
}

}  // namespace

TEST_CASE("fusion plan: 8 learning rates are fused when the profile says it pays, not otherwise") {
  size_t fused_jobs = 0;
  // Fused 8 at 20 ms a step against 8 x 5 ms one after another: one group of 8.
  auto items = plan_with(0.005, {{2, 0.009}, {4, 0.012}, {8, 0.020}}, &fused_jobs);
  CHECK(items == std::vector<std::string>{"fused"});
  CHECK(fused_jobs == 8);
  // Every group slower than its jobs in a row: 8 single jobs.
  items = plan_with(0.005, {{2, 0.011}, {4, 0.022}, {8, 0.045}}, &fused_jobs);
  CHECK(items == std::vector<std::string>(8, "single"));
  CHECK(fused_jobs == 0);
  // Only pairs pay: four groups of 2.
  items = plan_with(0.005, {{2, 0.008}, {4, 0.021}, {8, 0.044}}, &fused_jobs);
  CHECK(items == std::vector<std::string>(4, "fused"));
  CHECK(fused_jobs == 8);
  // Groups slower per step, but each job's 1 s fixed cost paid once per
  // group: 8 x (1 + 1) s against 1 + 9 s fused.
  items = plan_with(0.005, {{2, 0.011}, {4, 0.022}, {8, 0.045}}, &fused_jobs, kSweep, nullptr, 1.0);
  CHECK(items == std::vector<std::string>{"fused"});
}

TEST_CASE("fusion plan: LoRA jobs of a random base are fused only with jobs of their seed (one shared base)") {
  size_t fused_jobs = 0;
  std::vector<std::vector<std::string>> groups;
  // A group of 8 would pay most, but 8 jobs span two seeds: two groups of 4.
  auto items = plan_with(0.005, {{2, 0.009}, {4, 0.010}, {8, 0.011}}, &fused_jobs, kLoraSeeds, &groups);
  CHECK(items == std::vector<std::string>{"fused", "fused"});
  CHECK(fused_jobs == 8);
  REQUIRE(groups.size() == 2);
  for (const auto& g : groups) {
    CAPTURE(g);
    REQUIRE(g.size() == 4);
    const std::string seed = g[0].substr(g[0].find("seed="));
    for (const auto& id : g) CHECK(id.substr(id.find("seed=")) == seed);
  }
}

TEST_CASE("fusion plan: a fused group's strategy says how many jobs it trains") {
  PlanOption fused;
  fused.jobs = {0, 1, 2, 3, 4, 5, 6, 7};
  fused.technique = "fused";
  CHECK(fused.label() == "fused x1 (8 jobs)");
  PlanOption ddp;
  ddp.jobs = {3};
  ddp.technique = "ddp";
  ddp.devices = 2;
  CHECK(ddp.label() == "ddp x2");
}

TEST_CASE("workload problem: jobs of one shape on different data each get their own runtime") {
  // Two models of one shape; `big` trains an epoch of 4x the samples.
  const char* two_data =
      "name: data\n"
      "cluster: {nodes: [{name: local, devices: {kind: cpu, count: 1, memory: 1GiB, threads: 1}}]}\n"
      "data: {train: {format: synthetic, samples: 1000}, valid_fraction: 0}\n"
      "models:\n"
      "  - {name: small, arch: mlp, config: {image: 8, hidden: 32, classes: 4}}\n"
      "  - {name: big, arch: mlp, config: {image: 8, hidden: 32, classes: 4},\n"
      "     data: {train: {format: synthetic, samples: 4000}, valid_fraction: 0}}\n"
      "search: {grid: {batch_size: 10}}\n"
      "train: {epochs: 1, eval_every: 0, checkpoint_every: 0}\n"
      "techniques: [single]\n";
  LoadOptions lo;
  lo.check_files = false;
  const Workload w = parse_workload(two_data, "w.yaml", "", lo);
  const JobSet jobs = expand_jobs(w);
  REQUIRE(jobs.shapes.size() == 1);
  REQUIRE(jobs.jobs.size() == 2);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("saturn-test-data-" + std::to_string(::getpid()) + ".db")).string();
  std::filesystem::remove(path);
  {
    ProfileStore store(path);
    ProfileEntry e;
    e.key = {jobs.shapes[0].hash, Technique::Single, "", "cpu", 1, 1};
    e.shape_id = jobs.shapes[0].id;
    e.step_time = 0.01;
    e.timed_steps = 10;
    e.peak_memory = e.accounted_memory = 1 << 20;
    store.put(e);
    const auto wp = workload_problem(w, jobs, device_groups(w, false), store, {});
    std::map<std::string, double> duration;  // job -> its option's
    for (const auto& o : wp.problem.options) duration[wp.problem.jobs[o.jobs[0]]] = o.duration;
    REQUIRE(duration.size() == 2);
    CHECK(duration.at("small") > 100 * 0.01);
    // 400 steps against 100; the fixed cost and the one evaluation are the same.
    CHECK(duration.at("big") - duration.at("small") == Approx(300 * 0.01));
  }
  std::filesystem::remove(path);
}
