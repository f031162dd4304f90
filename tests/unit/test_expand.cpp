#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <set>

#include "core/job.h"
#include "workload_text.h"
#include "source_dir.h"

using namespace saturn;
using namespace saturn::test;

namespace {
const std::string kWorkloads = source_dir() + "/workloads";

JobSet expand_text(const std::string& text) {
  LoadOptions o;
  o.check_files = false;
  return expand_jobs(parse_workload(text, "w.yaml", "", o));
}
}  // namespace

TEST_CASE("saturn-txt: 12 jobs in 4 shapes") {
  Workload w = load_workload(kWorkloads + "/saturn-txt.yaml");
  JobSet s = expand_jobs(w);
  REQUIRE(s.jobs.size() == 12);
  REQUIRE(s.shapes.size() == 4);
  CHECK(s.jobs[0].id == "gpt2-1.5b/lr=1e-5,bs=16");
  CHECK(s.jobs[1].id == "gpt2-1.5b/lr=1e-5,bs=32");
  CHECK(s.jobs[2].id == "gpt2-1.5b/lr=1e-4,bs=16");
  CHECK(s.jobs[5].id == "gpt2-1.5b/lr=3e-3,bs=32");
  CHECK(s.jobs[6].id == "gpt-j-6b/lr=1e-5,bs=16");
  CHECK(s.shapes[0].id == "gpt2-1.5b/bs=16");
  CHECK(s.shapes[1].id == "gpt2-1.5b/bs=32");
  CHECK(s.shapes[2].id == "gpt-j-6b/bs=16");
  for (const auto& shape : s.shapes) CHECK(shape.jobs.size() == 3);  // one per learning rate
  // Shapes key on cost, not on learning rate.
  CHECK(s.jobs[0].shape == s.jobs[2].shape);
  CHECK(s.jobs[0].shape == s.jobs[4].shape);
  CHECK(s.jobs[0].hash != s.jobs[2].hash);
}

TEST_CASE("saturn-img: 12 jobs in 4 shapes") {
  JobSet s = expand_jobs(load_workload(kWorkloads + "/saturn-img.yaml"));
  CHECK(s.jobs.size() == 12);
  CHECK(s.shapes.size() == 4);
}

TEST_CASE("ids are unique, stable and name only what varies") {
  JobSet s = expand_text(with_line(13, "    lr: [1e-3, 3e-4]\n    seed: 1\n    layers: [2, 4]"));
  REQUIRE(s.jobs.size() == 4);
  CHECK(s.jobs[0].id == "m/lr=1e-3,layers=2");
  CHECK(s.jobs[1].id == "m/lr=1e-3,layers=4");
  CHECK(s.jobs[3].id == "m/lr=3e-4,layers=4");
  CHECK(s.jobs[0].hp.seed == 1);
  CHECK(s.jobs[1].config.integer("layers") == 4);
  // layers changes the cost; lr does not.
  REQUIRE(s.shapes.size() == 2);
  CHECK(s.shapes[0].id == "m/layers=2,bs=32");
  CHECK(s.shapes[1].id == "m/layers=4,bs=32");
  CHECK(s.jobs[0].shape == s.jobs[2].shape);
  std::set<std::string> ids, hashes;
  for (const auto& j : s.jobs) {
    ids.insert(j.id);
    hashes.insert(j.hash);
  }
  CHECK(ids.size() == 4);
  CHECK(hashes.size() == 4);
  // Expansion is deterministic.
  JobSet again = expand_text(with_line(13, "    lr: [1e-3, 3e-4]\n    seed: 1\n    layers: [2, 4]"));
  for (size_t i = 0; i < s.jobs.size(); ++i) CHECK(again.jobs[i].hash == s.jobs[i].hash);
}

TEST_CASE("a model without a varying axis is one job named after the model") {
  JobSet s = expand_text(with_line(13, "    lr: 1e-3"));
  REQUIRE(s.jobs.size() == 1);
  CHECK(s.jobs[0].id == "m");
  CHECK(s.shapes[0].id == "m/bs=32");
}

TEST_CASE("per-model grids replace and extend the workload grid") {
  JobSet s = expand_text(with_line(10, "    arch: gpt\n    grid: {lr: [0.1], warmup: [0, 10, 20]}\n  - name: n\n    arch: mlp"));
  // m: lr {0.1} x warmup {3} = 3; n: lr {1e-3, 3e-4} = 2
  REQUIRE(s.jobs.size() == 5);
  CHECK(s.jobs[0].id == "m/warmup=0");
  CHECK(s.jobs[0].hp.lr == 0.1);
  CHECK(s.jobs[2].hp.warmup == 20);
  CHECK(s.jobs[3].id == "n/lr=1e-3");
  CHECK(s.shapes.size() == 2);
}

TEST_CASE("identical models share a shape hash, content changes the job hash") {
  JobSet s = expand_text(with_line(10, "    arch: gpt\n  - name: twin\n    arch: gpt"));
  REQUIRE(s.jobs.size() == 4);
  CHECK(s.shapes.size() == 1);
  CHECK(s.shapes[0].jobs.size() == 4);
  JobSet t = expand_text(with_line(15, "  steps: 11"));
  JobSet u = expand_text(kBaseWorkload);
  CHECK(t.jobs[0].hash != u.jobs[0].hash);
  CHECK(t.jobs[0].id == u.jobs[0].id);
  CHECK(t.shapes[0].hash == u.shapes[0].hash);  // training length does not change a step's cost
  // Synthetic noise changes what a job learns, not a step's cost; the default spelled out changes nothing.
  JobSet noisy = expand_text(with_line(7, "  train: {format: synthetic, samples: 100, noise: 3}"));
  CHECK(noisy.jobs[0].hash != u.jobs[0].hash);
  CHECK(noisy.shapes[0].hash == u.shapes[0].hash);
  CHECK(expand_text(with_line(7, "  train: {format: synthetic, samples: 100, noise: 1}")).jobs[0].hash == u.jobs[0].hash);
}

TEST_CASE("select_jobs: globs over ids, a model name selects its jobs, shapes follow") {
  const JobSet all = expand_text(with_line(13, "    lr: [1e-3, 3e-4]\n    batch_size: [8, 16]"));
  REQUIRE(all.jobs.size() == 4);
  REQUIRE(all.shapes.size() == 2);
  const JobSet one = select_jobs(all, {"m/lr=1e-3,bs=16"});
  REQUIRE(one.jobs.size() == 1);
  CHECK(one.jobs[0].id == "m/lr=1e-3,bs=16");
  REQUIRE(one.shapes.size() == 1);
  CHECK(one.shapes[0].jobs == std::vector<size_t>{0});
  CHECK(one.shapes[one.jobs[0].shape].batch_size == 16);
  CHECK(select_jobs(all, {"m"}).jobs.size() == 4);
  const JobSet bs8 = select_jobs(all, {"*bs=8", "m/lr=3e-4,*"});
  CHECK(bs8.jobs.size() == 3);  // in the workload's order, each once
  CHECK(bs8.shapes.size() == 2);
  try {
    select_jobs(all, {"m/lr=1e-3,bs=16", "gpt*"});
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "--jobs: no job matches \"gpt*\" (saturn jobs W.yaml lists them)");
    CHECK(e.exit_code() == 64);
  }
}

TEST_CASE("random search: seeded joint draws x the grid, readable ids, a canonical form that gives the same jobs") {
  const std::string text =
      "name: r\n"
      "cluster: {nodes: [{name: n, devices: {kind: cpu, count: 1}}]}\n"
      "data: {train: {format: synthetic, samples: 100}}\n"
      "models: [{name: gpt, arch: gpt, config: {layers: 2, width: 32, heads: 2, seq_len: 16}}]\n"
      "search:\n"
      "  grid: {batch_size: [8, 16]}\n"
      "  random: {trials: 4, seed: 7, lr: {log: [1e-4, 3e-1]}, weight_decay: {uniform: [0, 0.1]},\n"
      "           layers: {int: [1, 3]}, tied_head: {choice: [true, false]}}\n"
      "train: {steps: 10}\n";
  const JobSet a = expand_text(text);
  REQUIRE(a.jobs.size() == 8);  // 2 grid points x 4 trials
  const JobSet again = expand_text(text);
  std::set<std::string> ids;
  for (size_t i = 0; i < a.jobs.size(); ++i) {
    const Job& j = a.jobs[i];
    CAPTURE(j.id);
    CHECK(j.id == again.jobs[i].id);
    CHECK(j.hash == again.jobs[i].hash);
    CHECK(ids.insert(j.id).second);
    CHECK(j.id.rfind(std::string("gpt/bs=") + (i < 4 ? "8" : "16") + ",trial=" + std::to_string(i % 4 + 1) + ",lr=", 0) == 0);
    CHECK(j.hp.lr >= 1e-4);
    CHECK(j.hp.lr <= 3e-1);
    char b[32];
    std::snprintf(b, sizeof b, "%.3g", j.hp.lr);
    CHECK(std::strtod(b, nullptr) == j.hp.lr);  // three significant figures: the id is what trains
    CHECK(j.hp.weight_decay >= 0);
    CHECK(j.hp.weight_decay <= 0.1);
    const int64_t layers = j.config.integer("layers");
    CHECK(layers >= 1);
    CHECK(layers <= 3);
    // The same trial draws the same values at every grid point.
    if (i >= 4) CHECK(j.hp.lr == a.jobs[i - 4].hp.lr);
  }
  std::set<double> lrs;
  for (const auto& j : a.jobs) lrs.insert(j.hp.lr);
  CHECK(lrs.size() == 4);
  // Another seed, other draws.
  std::string other = text;
  other.replace(other.find("seed: 7"), 7, "seed: 8");
  CHECK(expand_text(other).jobs[0].hp.lr != a.jobs[0].hp.lr);
  // The canonical form keeps the space, not the draws, and gives the same jobs.
  LoadOptions o;
  o.check_files = false;
  const std::string yaml = to_yaml(parse_workload(text, "w.yaml", "", o));
  CHECK(yaml.find("random:") != std::string::npos);
  const JobSet c = expand_text(yaml);
  REQUIRE(c.jobs.size() == a.jobs.size());
  for (size_t i = 0; i < c.jobs.size(); ++i) CHECK(c.jobs[i].hash == a.jobs[i].hash);
}
