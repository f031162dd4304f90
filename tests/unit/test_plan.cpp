// Planner: optimal on instances small enough to enumerate, valid and never
// worse than a baseline on random ones, respects heterogeneous nodes,
// infeasible strategies, running jobs and fused groups.
#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <limits>
#include <numeric>
#include <atomic>
#include <random>
#include <thread>

#include "core/error.h"
#include "plan/baselines.h"
#include "plan/bounds.h"
#include "plan/check.h"
#include "plan/heuristic.h"
#include "plan/milp.h"
#include "plan/plan_json.h"
#include "plan/solve.h"
#include "plan/timeline.h"

using namespace saturn;

namespace {

PlanOption opt(std::vector<size_t> jobs, const char* technique, int64_t devices, size_t node, double duration) {
  PlanOption o;
  o.jobs = std::move(jobs);
  o.technique = technique;
  o.devices = devices;
  o.node = node;
  o.duration = duration;
  return o;
}

// A random instance: `jobs` jobs on nodes of the given sizes; each job gets
// options at some device counts on each node (some missing: infeasible),
// with runtimes that shrink sublinearly with devices. Integral durations
// when `integral`.
PlanProblem random_problem(std::mt19937_64& rng, size_t jobs, std::vector<int64_t> nodes, bool integral) {
  PlanProblem p;
  for (size_t n = 0; n < nodes.size(); ++n) p.nodes.push_back({"node-" + std::to_string(n), "X", nodes[n]});
  std::uniform_real_distribution<double> u(0, 1);
  for (size_t j = 0; j < jobs; ++j) {
    p.jobs.push_back("job-" + std::to_string(j));
    double work = integral ? 4 + std::floor(u(rng) * 12) : 100 + u(rng) * 900;
    double speed = 1.0 + u(rng) * 0.3 * static_cast<double>(nodes.size() > 1);
    bool any = false;
    for (size_t n = 0; n < nodes.size(); ++n) {
      double node_speed = n == 0 ? 1.0 : speed;
      for (int64_t k = 1; k <= nodes[n]; ++k) {
        if (u(rng) < 0.25 && !(n == 0 && k == 1 && !any)) continue;  // infeasible
        double eff = 0.6 + 0.4 * u(rng);
        double d = work / node_speed / (1 + (static_cast<double>(k) - 1) * eff);
        if (integral) d = std::max(1.0, std::round(d));
        p.options.push_back(opt({j}, k == 1 ? "single" : "ddp", k, n, d));
        any = true;
      }
    }
  }
  return p;
}

// Earliest start on a node's capacity profile (cumulative, exact).
double earliest(const std::vector<std::pair<double, double>>& spans, const std::vector<int64_t>& use, int64_t cap,
                int64_t k, double d) {
  std::vector<double> cands{0};
  for (const auto& s : spans) cands.push_back(s.second);
  std::sort(cands.begin(), cands.end());
  for (double t : cands) {
    bool ok = true;
    // Usage is piecewise constant; check at t and every span start in (t, t+d).
    std::vector<double> points{t};
    for (const auto& s : spans)
      if (s.first > t && s.first < t + d) points.push_back(s.first);
    for (double x : points) {
      int64_t used = 0;
      for (size_t i = 0; i < spans.size(); ++i)
        if (spans[i].first <= x + 1e-9 && spans[i].second > x + 1e-9) used += use[i];
      if (used + k > cap) { ok = false; break; }
    }
    if (ok) return t;
  }
  return std::numeric_limits<double>::infinity();
}

// The optimum by enumeration: every option per job x every order, placed by
// the serial schedule generation scheme (its schedules include an optimal one).
double brute_force(const PlanProblem& p) {
  std::vector<std::vector<size_t>> per_job(p.jobs.size());
  for (size_t o = 0; o < p.options.size(); ++o) per_job[p.options[o].jobs[0]].push_back(o);
  double best = std::numeric_limits<double>::infinity();
  std::vector<size_t> pick(p.jobs.size());
  std::function<void(size_t)> rec = [&](size_t j) {
    if (j == p.jobs.size()) {
      std::vector<size_t> order(p.jobs.size());
      std::iota(order.begin(), order.end(), 0);
      do {
        std::vector<std::vector<std::pair<double, double>>> spans(p.nodes.size());
        std::vector<std::vector<int64_t>> use(p.nodes.size());
        double makespan = 0;
        for (size_t i : order) {
          const auto& o = p.options[pick[i]];
          double t = earliest(spans[o.node], use[o.node], p.nodes[o.node].devices, o.devices, o.duration);
          spans[o.node].push_back({t, t + o.duration});
          use[o.node].push_back(o.devices);
          makespan = std::max(makespan, t + o.duration);
          if (makespan >= best) break;
        }
        best = std::min(best, makespan);
      } while (std::next_permutation(order.begin(), order.end()));
      return;
    }
    for (size_t o : per_job[j]) {
      pick[j] = o;
      rec(j + 1);
    }
  };
  rec(0);
  return best;
}

void require_valid(const PlanProblem& p, const Plan& plan) {
  auto bad = check_plan(p, plan);
  INFO(plan.method << ": " << (bad.empty() ? "" : bad[0]));
  REQUIRE(bad.empty());
}

}  // namespace

TEST_CASE("planner: optimal on instances small enough to enumerate", "[plan]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 12; ++i) {
    size_t jobs = 3 + i % 3;
    std::vector<int64_t> nodes = i % 2 ? std::vector<int64_t>{3} : std::vector<int64_t>{2, 2};
    auto p = random_problem(rng, jobs, nodes, true);
    double optimum = brute_force(p);
    PlanOptions o;
    o.time_limit = 20;
    Plan plan = solve_plan(p, o);
    require_valid(p, plan);
    INFO("instance " << i << ": " << plan.method << ", stop " << plan.stop);
    CHECK(plan.makespan == Approx(optimum).epsilon(1e-9));
    CHECK(plan.gap() <= 1e-3);
    CHECK((plan.stop == "optimal" || plan.stop == "gap"));
  }
}

TEST_CASE("planner: the bound from every resolution is proven: never above the enumerated optimum", "[plan]") {
  // Durations that share no unit: every model rounds them, the coarse
  // first ones most; cut short or not, the bound stays below the optimum.
  std::mt19937_64 rng(23);
  for (int i = 0; i < 16; ++i) {
    auto p = random_problem(rng, 4 + i % 2, i % 2 ? std::vector<int64_t>{3} : std::vector<int64_t>{2, 2}, false);
    const double optimum = brute_force(p);
    PlanOptions o;
    o.time_limit = i % 4 == 0 ? 0.2 : 1;
    Plan plan = solve_plan(p, o);
    require_valid(p, plan);
    INFO("instance " << i << ": " << plan.milp << ", stop " << plan.stop);
    CHECK(plan.bound <= optimum * (1 + 1e-9));
    CHECK(plan.makespan >= optimum * (1 - 1e-9));
  }
}

TEST_CASE("planner: random instances give valid plans no worse than any baseline", "[plan]") {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 10; ++i) {
    size_t jobs = 6 + static_cast<size_t>(i) * 3;
    std::vector<std::vector<int64_t>> shapes{{8}, {4, 4}, {8, 4}, {2, 2, 4}};
    auto p = random_problem(rng, jobs, shapes[i % shapes.size()], false);
    PlanOptions o;
    o.time_limit = 0.5;
    Plan plan = solve_plan(p, o);
    require_valid(p, plan);
    CHECK(plan.bound <= plan.makespan);
    CHECK(plan.bound >= lower_bounds(p).best() * (1 - 1e-9));
    for (Baseline b : all_baselines()) {
      Plan base = baseline_plan(p, b);
      require_valid(p, base);
      INFO(baseline_name(b));
      CHECK(plan.makespan <= base.makespan + 1e-9);
      CHECK(base.makespan >= plan.bound * (1 - 1e-9));
    }
  }
}

TEST_CASE("planner: heterogeneous nodes and infeasible strategies are respected", "[plan]") {
  PlanProblem p;
  p.nodes = {{"big", "A100", 8}, {"small", "T4", 4}};
  p.jobs = {"fits-big-only", "anywhere", "small-only"};
  p.options = {
      opt({0}, "fsdp", 8, 0, 100),  // only on the big node, only on all 8
      opt({1}, "ddp", 4, 0, 50), opt({1}, "ddp", 4, 1, 80), opt({1}, "single", 1, 1, 300),
      opt({2}, "spill", 1, 1, 120),
  };
  Plan plan = solve_plan(p);
  require_valid(p, plan);
  for (const auto& a : plan.items) {
    const auto& o = p.options[a.option];
    if (o.jobs[0] == 0) CHECK((o.node == 0 && a.device_ids.size() == 8));
    if (o.jobs[0] == 2) CHECK(o.node == 1);
  }
  // Optimum 150: job 0 on big [0,100), job 2 on small [0,120), job 1 on big
  // after job 0 (ddp x4, [100,150)); job 1 on small instead would end at 200.
  CHECK(plan.makespan == Approx(150));
  CHECK(plan.stop == "optimal");
}

TEST_CASE("planner: running jobs keep their devices and others plan around them", "[plan]") {
  PlanProblem p;
  p.nodes = {{"n", "A100", 4}};
  p.jobs = {"running", "next", "other"};
  p.options = {opt({0}, "ddp", 2, 0, 100), opt({1}, "ddp", 4, 0, 40), opt({1}, "ddp", 2, 0, 70),
               opt({2}, "single", 1, 0, 30)};
  p.pinned = {{0, {1, 3}, 25}};
  Plan plan = solve_plan(p);
  require_valid(p, plan);
  auto running = std::find_if(plan.items.begin(), plan.items.end(), [](const Assignment& a) { return a.pinned; });
  REQUIRE(running != plan.items.end());
  const auto& first = *running;
  CHECK(first.option == 0);
  CHECK(first.device_ids == std::vector<int64_t>{1, 3});
  CHECK(first.end == 25);
  // Devices 0 and 2 are free from 0, all four from 25. "next" as ddp x4
  // starts at 30 at best ("other" holds a device until then, or runs after
  // it): 70; as ddp x2 on the free pair: [0,70) with "other" on device 1
  // from 25. The optimum is 70, and the planner proves it.
  CHECK(plan.makespan == Approx(70));
  CHECK(plan.gap() <= 1e-3);
  CHECK(plan.makespan >= plan.bound);
}

TEST_CASE("planner: a fused option covers its jobs once and is chosen when it saves time", "[plan]") {
  PlanProblem p;
  p.nodes = {{"n", "A100", 1}};
  p.jobs = {"a", "b", "c"};
  p.options = {opt({0}, "single", 1, 0, 100), opt({1}, "single", 1, 0, 100), opt({2}, "single", 1, 0, 100),
               opt({0, 1, 2}, "fused", 1, 0, 140), opt({0, 1}, "fused", 1, 0, 120)};
  Plan plan = solve_plan(p);
  require_valid(p, plan);
  CHECK(plan.makespan == Approx(140));
  REQUIRE(plan.items.size() == 1);
  CHECK(p.options[plan.items[0].option].technique == "fused");
  auto h = heuristic_plan(p);
  require_valid(p, h);
  CHECK(h.makespan == Approx(140));
}

TEST_CASE("planner: a tiny time limit still gives a valid plan, and plans repeat", "[plan]") {
  std::mt19937_64 rng(3);
  auto p = random_problem(rng, 40, {8, 8}, false);
  PlanOptions o;
  o.time_limit = 0.01;
  Plan a = solve_plan(p, o);
  require_valid(p, a);
  o.time_limit = 2;
  Plan b = solve_plan(p, o);
  o.threads = 2;  // allowed, not used: the same search, and the milp line says so
  Plan c = solve_plan(p, o);
  require_valid(p, b);
  if (!b.milp.empty()) CHECK(c.milp.find("; one thread of the 2 allowed") != std::string::npos);
  if (b.stop == "optimal" || b.stop == "gap") {
    REQUIRE(b.items.size() == c.items.size());
    for (size_t i = 0; i < b.items.size(); ++i) {
      CHECK(b.items[i].option == c.items[i].option);
      CHECK(b.items[i].start == c.items[i].start);
      CHECK(b.items[i].device_ids == c.items[i].device_ids);
    }
  }
}

TEST_CASE("planner: under a work limit the plan is the same at 1 and 2 threads, and under load", "[plan]") {
  std::mt19937_64 rng(5);
  auto p = random_problem(rng, 40, {8, 8}, false);
  PlanOptions o;
  o.work_limit = 300;
  o.time_limit = 0.001;  // not used under a work limit
  const Plan a = solve_plan(p, o);
  require_valid(p, a);
  CHECK(a.stop != "time limit");
  o.threads = 2;
  const Plan b = solve_plan(p, o);
  // Under load: two threads spinning on this machine's cores while it solves.
  std::atomic<bool> busy{true};
  std::vector<std::thread> load;
  for (int i = 0; i < 2; ++i)
    load.emplace_back([&] {
      volatile double x = 1;
      while (busy.load()) x = x * 1.0000001 + 1e-9;
    });
  PlanOptions one = o;
  one.threads = 1;
  const Plan c = solve_plan(p, one);
  busy = false;
  for (auto& t : load) t.join();
  for (const Plan* other : {&b, &c}) {
    CHECK(other->makespan == a.makespan);
    CHECK(other->method == a.method);
    REQUIRE(other->items.size() == a.items.size());
    for (size_t i = 0; i < a.items.size(); ++i) {
      CHECK(other->items[i].option == a.items[i].option);
      CHECK(other->items[i].start == a.items[i].start);
      CHECK(other->items[i].device_ids == a.items[i].device_ids);
    }
  }
  if (!a.milp.empty()) CHECK(a.milp.find(" nodes") != std::string::npos);
}

TEST_CASE("planner: the checker finds what is wrong", "[plan]") {
  PlanProblem p;
  p.nodes = {{"n", "A100", 2}};
  p.jobs = {"a", "b"};
  p.options = {opt({0}, "single", 1, 0, 10), opt({1}, "ddp", 2, 0, 5)};
  Plan plan = solve_plan(p);
  require_valid(p, plan);
  CHECK(plan.makespan == Approx(15));
  auto broken = plan;
  broken.items[1].start = broken.items[0].start;  // overlap on device 0, wrong duration
  auto bad = check_plan(p, broken);
  CHECK(std::find_if(bad.begin(), bad.end(), [](const std::string& s) { return s.find("held twice") != std::string::npos; }) != bad.end());
  broken = plan;
  broken.items.pop_back();
  bad = check_plan(p, broken);
  CHECK(std::find(bad.begin(), bad.end(), "job " + p.jobs[p.options[plan.items.back().option].jobs[0]] + " is planned 0 times") != bad.end());
  broken = plan;
  broken.items[0].device_ids = {7};
  CHECK(!check_plan(p, broken).empty());
}

TEST_CASE("planner: bad problems are refused with one line", "[plan]") {
  PlanProblem p;
  p.nodes = {{"n", "A100", 2}};
  p.jobs = {"a", "b"};
  p.options = {opt({0}, "single", 1, 0, 10)};
  REQUIRE_THROWS_WITH(solve_plan(p), "plan problem: no strategy can run job b");
  p.options.push_back(opt({1}, "ddp", 4, 0, 10));
  REQUIRE_THROWS_WITH(solve_plan(p), "plan problem: option 1 needs 4 devices; node n has 2");
  p.options[1].devices = 2;
  p.options[1].duration = 0;
  REQUIRE_THROWS_WITH(solve_plan(p), "plan problem: option 1 has duration 0.000000");
}

TEST_CASE("timeline: backfills a hole when the devices stay free", "[plan]") {
  PlanProblem p;
  p.nodes = {{"n", "X", 2}};
  p.jobs = {"long", "wide", "short"};
  p.options = {opt({0}, "single", 1, 0, 10), opt({1}, "ddp", 2, 0, 5), opt({2}, "single", 1, 0, 4)};
  Timeline t(p);
  t.place(0);
  CHECK(t.place(1).start == 10);
  CHECK(t.place(2).start == 0);  // into the hole on device 1
  require_valid(p, t.plan());
}

TEST_CASE("plan.json: a plan round-trips through JSON onto its problem", "[plan]") {
  std::mt19937_64 rng(5);
  auto p = random_problem(rng, 9, {4, 2}, false);
  p.options.push_back(opt({1, 2}, "fused", 2, 0, 50));  // a fused group
  p.pinned = {};
  Plan plan = solve_plan(p);
  auto doc = plan_json(p, plan);
  Plan back = plan_from_json(nlohmann::json::parse(doc.dump()), p);
  REQUIRE(back.items.size() == plan.items.size());
  for (size_t i = 0; i < plan.items.size(); ++i) {
    CHECK(back.items[i].option == plan.items[i].option);
    CHECK(back.items[i].device_ids == plan.items[i].device_ids);
    CHECK(back.items[i].start == plan.items[i].start);
    CHECK(back.items[i].end == plan.items[i].end);
  }
  CHECK(back.makespan == plan.makespan);
  CHECK(back.bound == plan.bound);
  CHECK(back.stop == plan.stop);
  require_valid(p, back);

  auto bad = doc;
  bad["jobs"][0]["job"] = "nobody";
  REQUIRE_THROWS_WITH(plan_from_json(bad, p), "plan.json: job nobody is not in the workload");
  bad = doc;
  bad["version"] = 2;
  REQUIRE_THROWS_WITH(plan_from_json(bad, p), "plan.json: version 2 is newer than this saturn reads (1)");
  bad = doc;
  bad["jobs"][0]["devices"] = 99;
  REQUIRE_THROWS_WITH(plan_from_json(bad, p), Catch::Contains("no strategy"));
  bad = doc;
  bad["jobs"][0].erase("node");
  REQUIRE_THROWS_WITH(plan_from_json(bad, p), Catch::StartsWith("plan.json: malformed: "));
}

TEST_CASE("planner: exact-end rows keep the bound proven and tighten it", "[plan]") {
  // Each start's exact end (its slot's time + the real duration) bounds C,
  // where the slots alone see only whole slots: a proven bound, and at
  // coarse resolutions a tighter one.
  std::mt19937_64 rng(29);
  int tighter = 0;
  for (int i = 0; i < 12; ++i) {
    auto p = random_problem(rng, 4 + i % 2, i % 2 ? std::vector<int64_t>{3} : std::vector<int64_t>{2, 2}, false);
    const double optimum = brute_force(p);
    HeuristicOptions ho;
    ho.time_limit = 0.1;
    const Plan warm = heuristic_plan(p, ho);
    for (int64_t slots : {12, 25}) {
      MilpOptions mo;
      mo.time_limit = 5;
      mo.max_slots = slots;
      mo.gap = 0;
      MilpResult plain = solve_milp(p, warm, mo);
      mo.exact_ends = true;
      MilpResult exact = solve_milp(p, warm, mo);
      INFO("instance " << i << ", " << slots << " slots: " << plain.stop << " " << plain.bound << ", exact ends "
                       << exact.stop << " " << exact.bound << ", optimum " << optimum);
      REQUIRE(exact.ran);
      CHECK(exact.bound <= optimum * (1 + 1e-9));
      if (exact.has_plan) require_valid(p, exact.plan);
      if (plain.proven && exact.proven) {
        CHECK(exact.bound >= plain.bound * (1 - 1e-9));
        if (exact.bound > plain.bound * (1 + 1e-6)) ++tighter;
      }
    }
  }
  CHECK(tighter >= 2);
}
