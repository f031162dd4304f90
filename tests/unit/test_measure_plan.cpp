// Measuring only what can change the plan: estimate bands learned from
// measurements (estimator.h), the candidate set, the value-of-information
// rule and the budget (measure_plan.h). Torch-free, on synthetic stores and
// problems.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "core/early_stopping.h"
#include "core/job.h"
#include "core/step_timing.h"
#include "profile/estimator.h"
#include "profile/measure_plan.h"
#include "profile/store.h"
#include "workload_text.h"

using namespace saturn;
using namespace saturn::test;

namespace {

Workload parse(const std::string& text) {
  LoadOptions o;
  o.check_files = false;
  return parse_workload(text, "w.yaml", "", o);
}

// Jobs of GPT shapes of several widths and depths, batch 8.
JobSet shapes_of(const std::vector<std::pair<int, int>>& layers_width) {
  std::string models;
  for (size_t i = 0; i < layers_width.size(); ++i)
    models += "  - {name: m" + std::to_string(i) + ", arch: gpt, config: {layers: " + std::to_string(layers_width[i].first) +
              ", width: " + std::to_string(layers_width[i].second) + ", heads: 4, seq_len: 64}}\n";
  const std::string text = "name: t\ncluster:\n  nodes:\n    - name: local\n      devices: {kind: cpu, count: 2}\n"
                           "data:\n  train: {format: synthetic, samples: 100}\nmodels:\n" +
                           models + "search:\n  grid:\n    batch_size: [8]\ntrain:\n  steps: 10\n";
  return expand_jobs(parse(text));
}

ProfileEntry measured(const JobShape& s, Technique t, int64_t devices, double step) {
  ProfileEntry e;
  e.key = {s.hash, t, "", "cpu", devices, 1};
  e.shape_id = s.id;
  e.step_time = step;
  e.timed_steps = 10;
  return e;
}

// A problem of `jobs` jobs on one node of `devices`; options added by hand.
WorkloadProblem problem(size_t jobs, int64_t devices) {
  WorkloadProblem wp;
  wp.problem.nodes.push_back({"local", "cpu", devices});
  for (size_t j = 0; j < jobs; ++j) {
    wp.problem.jobs.push_back("j" + std::to_string(j));
    wp.shapes.push_back("s");
  }
  return wp;
}

// One strategy (a view row) with an option per job: its duration and band.
size_t strategy(WorkloadProblem& wp, const std::string& technique, int64_t devices, double duration, double band) {
  const size_t row = wp.view.size();
  ProfileRow r;
  r.entry.key.technique = *parse_technique(technique);
  r.entry.key.devices = devices;
  r.entry.step_time = duration / 10;
  r.band.width = band;
  r.source = band > 0 ? "raw estimate" : "measured";
  wp.view.push_back(r);
  for (size_t j = 0; j < wp.problem.jobs.size(); ++j) {
    PlanOption o;
    o.jobs = {j};
    o.technique = technique;
    o.devices = devices;
    o.duration = duration;
    wp.problem.options.push_back(o);
    wp.sources.push_back(r.source);
    wp.step_times.push_back(r.entry.step_time);
    wp.bands.push_back(band);
    wp.rows.push_back(row);
  }
  return row;
}

MeasureCandidate candidate(size_t row, double cost) {
  MeasureCandidate c;
  c.row = row;
  c.cost_s = cost;
  c.trials.push_back({"s" + std::to_string(row), Technique::Single, "", "cpu", 1, 1});
  return c;
}

const MeasureCandidate& verdict(const MeasureChoice& c, size_t row) {
  for (const auto& m : c.candidates)
    if (m.row == row) return m;
  FAIL("no candidate for row " << row);
  return c.candidates.front();
}

}  // namespace

TEST_CASE("estimator bands: factors recovered from noisy measurements of many shapes, band from their scatter") {
  const JobSet jobs = shapes_of({{2, 64}, {2, 128}, {4, 128}, {4, 256}, {6, 256}, {8, 384}, {3, 192}, {5, 320}});
  const Estimator raw({}, {}, jobs);
  // The machine: floor x 1.5 + ideal / 0.3, with 4% log-normal noise.
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 0.04);
  std::vector<ProfileEntry> store;
  for (const auto& s : jobs.shapes) {
    const ProfileKey k{s.hash, Technique::Single, "", "cpu", 1, 1};
    const double truth = 1.5 * *raw.step_floor(s, k) + *raw.ideal_step_time(s, k) / 0.3;
    store.push_back(measured(s, Technique::Single, 1, truth * std::exp(noise(rng))));
  }
  const Estimator cal({}, store, jobs);
  CHECK(cal.efficiency(Technique::Single, "cpu") == Approx(0.3).epsilon(0.1));
  const EstimateBand b = cal.band(Technique::Single, "cpu");
  CHECK(b.points == 8);
  CHECK(b.basis == "fitted to 8 measured single on cpu");
  CHECK(b.width > 0.03);   // the noise shows (2 sigma is about 8%)
  CHECK(b.width < 0.2);
  // Each estimate is within its band of the truth without the noise.
  for (const auto& s : jobs.shapes) {
    const ProfileKey k{s.hash, Technique::Single, "", "cpu", 1, 1};
    const double truth = 1.5 * *raw.step_floor(s, k) + *raw.ideal_step_time(s, k) / 0.3;
    const double e = cal.estimate(s, k)->step_time;
    CHECK(e / truth < 1 + b.width);
    CHECK(truth / e < 1 + b.width);
  }
  // Another technique borrows single's fit with a wider band; another device
  // model has nothing: the raw band.
  const EstimateBand ddp = cal.band(Technique::Ddp, "cpu");
  CHECK(ddp.width == Approx((1 + b.width) * 1.4 - 1));
  CHECK(ddp.basis.find("ddp never measured on cpu") == 0);
  CHECK(cal.band(Technique::Single, "H100-80GB").width == EstimateOptions{}.band_raw);
  // One measurement: its fit rests on it alone.
  const Estimator one({}, {store[0]}, jobs);
  CHECK(one.band(Technique::Single, "cpu").width == EstimateOptions{}.band_one_point);
  CHECK(one.band(Technique::Single, "cpu").basis == "1 measured single on cpu");
}

TEST_CASE("estimator bands: a measurement of another workload's shape calibrates through its stored raw figures") {
  const JobSet mine = shapes_of({{2, 64}});
  const JobSet theirs = shapes_of({{4, 256}, {6, 320}});
  const Estimator raw({}, {}, theirs);
  std::vector<ProfileEntry> store;
  for (const auto& s : theirs.shapes) {
    const ProfileKey k{s.hash, Technique::Single, "", "cpu", 1, 1};
    ProfileEntry e = measured(s, Technique::Single, 1, *raw.step_floor(s, k) + *raw.ideal_step_time(s, k) / 0.25);
    std::tie(e.est_ideal, e.est_floor) = raw.raw_figures(s, k);
    store.push_back(e);
  }
  bool calibrated = false;
  const Estimator cal({}, store, mine);
  CHECK(cal.efficiency(Technique::Single, "cpu", &calibrated) == Approx(0.25));
  CHECK(calibrated);
  // Without the raw figures, a shape this workload lacks says nothing.
  for (auto& e : store) e.est_ideal = e.est_floor = 0;
  const Estimator blind({}, store, mine);
  blind.efficiency(Technique::Single, "cpu", &calibrated);
  CHECK_FALSE(calibrated);
}

TEST_CASE("measure plan: a strategy far worse even at its band's fast edge is skipped, a near tie is measured") {
  WorkloadProblem wp = problem(2, 2);
  const size_t single = strategy(wp, "single", 1, 10, 0.1);    // both jobs side by side: 10 s
  const size_t slow = strategy(wp, "ddp", 2, 100, 0.1);        // 91 s at best: never in a good plan
  const size_t tie = strategy(wp, "fsdp", 2, 5.2, 0.3);        // one after the other: 10.4 s, 8 s if 30% faster
  MeasureOptions o;
  o.budget_s = 100;
  const MeasureChoice c = choose_measurements(wp, {candidate(single, 0.5), candidate(slow, 0.5), candidate(tie, 0.5)}, o);
  CHECK(c.plan.makespan == Approx(10));
  CHECK(c.upper_s == Approx(11));
  CHECK_FALSE(verdict(c, slow).measure);
  CHECK(verdict(c, slow).why.find("cannot be in a plan within 2%: at best") == 0);
  CHECK(verdict(c, tie).measure);
  CHECK(verdict(c, tie).gain_s == Approx(10 - 2 * 5.2 / 1.3));
  // The plan's own strategy is measured too: 10% slower would make the
  // fsdp plan (10.4 s) the better one.
  CHECK(verdict(c, single).in_plan);
  CHECK(verdict(c, single).measure);
  // The most decisive first: gain per second of trial.
  REQUIRE(c.order.size() == 2);
  CHECK(c.candidates[c.order[0]].row == tie);
}

TEST_CASE("measure plan: the stop rule: nothing whose gain is below its cost, and no more than the budget") {
  WorkloadProblem wp = problem(4, 2);
  const size_t a = strategy(wp, "single", 1, 10, 0);         // measured: the plan's 20 s
  const size_t b = strategy(wp, "ddp", 2, 5.5, 0.5);        // 22 s; 14.7 s at its fast edge: gains 5.3 s
  const size_t c = strategy(wp, "fsdp", 2, 5.8, 0.5);       // gains 4.5 s
  const size_t d = strategy(wp, "pipeline", 2, 5.1, 0.02);   // 20.4 s, 20 s at best: gains nothing
  (void)a;
  MeasureOptions o;
  o.budget_s = 3;  // room for one of b and c
  const MeasureChoice m = choose_measurements(wp, {candidate(b, 2), candidate(c, 2), candidate(d, 0.1)}, o);
  CHECK(m.budget_s == 3);
  CHECK(verdict(m, b).measure);
  CHECK_FALSE(verdict(m, c).measure);
  CHECK(verdict(m, c).why.find("over the measurement budget") == 0);
  CHECK_FALSE(verdict(m, d).measure);
  CHECK(verdict(m, d).why.find("could gain nothing (a run of 5.10 s +- 2%), its trials take") == 0);
  CHECK(m.trials.size() == 1);
  CHECK(m.cost_s == 2);
  // The budget allows for a trial's forecast at the slow edge of its estimates.
  MeasureCandidate unsure = candidate(b, 2);
  unsure.cost_hi_s = 4;
  const MeasureChoice edge = choose_measurements(wp, {unsure, candidate(c, 2)}, o);
  CHECK(verdict(edge, b).why == "over the measurement budget: its trials may take 4.00 s, 3.00 s of 3.00 s left");
  CHECK(verdict(edge, c).measure);
  // The budget as a share of the plan's makespan: 5% of 20 s is 1 s, under one trial.
  MeasureOptions share;
  const MeasureChoice none = choose_measurements(wp, {candidate(b, 2), candidate(c, 2)}, share);
  CHECK(none.budget_s == Approx(1));
  CHECK(none.order.empty());
  // Measured strategies are known: with every band 0, nothing is worth a trial.
  WorkloadProblem known = problem(2, 2);
  const size_t k = strategy(known, "single", 1, 10, 0);
  CHECK(choose_measurements(known, {candidate(k, 0.1)}, o).order.empty());
}

TEST_CASE("measure plan: a plan re-timed with other durations keeps each device's order") {
  WorkloadProblem wp = problem(3, 2);
  strategy(wp, "single", 1, 10, 0);
  Plan p;
  p.items = {{0, {0}, 0, 10}, {1, {1}, 0, 10}, {2, {0}, 10, 20}};
  CHECK(retime(p, wp.problem, {10, 10, 10}) == 20);
  CHECK(retime(p, wp.problem, {5, 30, 5}) == 30);
  CHECK(retime(p, wp.problem, {5, 1, 5}) == 10);
}

TEST_CASE("measure plan: a workload's candidates are its estimated strategies with trials the store lacks") {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("saturn-test-measure-" + std::to_string(::getpid()) + ".db")).string();
  std::filesystem::remove(path);
  const Workload w = parse(kBaseWorkload);
  const JobSet jobs = expand_jobs(w);
  ProfileStore store(path);
  const auto groups = device_groups(w, false);
  WorkloadProblem wp = workload_problem(w, jobs, groups, store, {});
  const auto before = measure_candidates(w, jobs, wp, store, false);
  REQUIRE_FALSE(before.empty());
  for (const auto& c : before) {
    CHECK_FALSE(c.trials.empty());
    CHECK(c.cost_s > 0);
    CHECK(wp.view[c.row].band.width == EstimateOptions{}.band_raw);  // nothing measured yet
  }
  // A measured single: no longer a candidate, and every other estimate borrows its fit.
  ProfileEntry e = measured(jobs.shapes[0], Technique::Single, 1, 0.01);
  e.key.threads = groups[0].threads;
  store.put(e);
  wp = workload_problem(w, jobs, groups, store, {});
  const auto after = measure_candidates(w, jobs, wp, store, false);
  CHECK(after.size() == before.size() - 1);
  for (const auto& c : after) {
    CHECK(wp.view[c.row].entry.key.technique != Technique::Single);
    CHECK(wp.view[c.row].source == "calibrated estimate");
    CHECK(wp.view[c.row].band.basis.find("never measured on cpu: single's fit (1 measured single on cpu)") != std::string::npos);
  }
  std::filesystem::remove(path);
}

TEST_CASE("workload: profile is a mode or {mode, budget, margin}; bad values are one line") {
  CHECK(parse(std::string(kBaseWorkload) + "profile: full\n").profile.mode == ProfileMode::Full);
  const Workload w = parse(std::string(kBaseWorkload) + "profile: {mode: auto, budget: 10%, margin: 1%}\n");
  CHECK(w.profile.budget_share == Approx(0.1));
  CHECK(w.profile.margin == Approx(0.01));
  CHECK(parse(std::string(kBaseWorkload) + "profile: {budget: 2m}\n").profile.budget_seconds == 120);
  CHECK(parse(kBaseWorkload).profile == ProfileSpec{});
  CHECK(outcome_of(std::string(kBaseWorkload) + "profile: sometimes\n").message ==
        "w.yaml:16:10: profile: expected one of auto, full, none, got \"sometimes\"");
  CHECK(outcome_of(std::string(kBaseWorkload) + "profile: {budget: 200%}\n").message ==
        "w.yaml:16:19: profile.budget: expected a percentage above 0% and at most 100%, or a duration like 2m, got \"200%\"");
  CHECK(outcome_of(std::string(kBaseWorkload) + "profile: {margin: 2}\n").message ==
        "w.yaml:16:19: profile.margin: expected a percentage like 2% (at least 0%, under 100%), got \"2\"");
}

TEST_CASE("trial length: timing stops once the median is known to 2%: at once when steady, later when noisy") {
  std::mt19937 rng(3);
  // How many timed steps a stream needs, and its median then.
  auto run = [&](double noise, double outlier_every) {
    std::lognormal_distribution<double> d(std::log(0.010), noise);
    std::vector<double> times;
    for (int i = 1;; ++i) {
      times.push_back(outlier_every > 0 && i % static_cast<int>(outlier_every) == 0 ? 0.05 : d(rng));
      const StepTiming t = judge_steps(times);
      if (t.done) return std::make_pair(static_cast<int64_t>(times.size()), t);
    }
  };
  // Steady steps (0.3% noise): the fewest steps allowed.
  const auto steady = run(0.003, 0);
  CHECK(steady.first == 5);
  CHECK(steady.second.median == Approx(0.010).epsilon(0.02));
  CHECK(steady.second.error <= 0.02);
  // 3% noise: more steps, stopped well before the cap, the median within 2%.
  std::vector<int64_t> needed;
  for (int k = 0; k < 20; ++k) {
    const auto noisy = run(0.03, 0);
    needed.push_back(noisy.first);
    CHECK(noisy.second.median == Approx(0.010).epsilon(0.025));
  }
  std::sort(needed.begin(), needed.end());
  CHECK(needed[10] > 5);
  CHECK(needed[10] < 40);
  // A slow step now and then (a page fault: 5x) barely moves the median.
  const auto spikes = run(0.003, 7);
  CHECK(spikes.second.median == Approx(0.010).epsilon(0.02));
  CHECK(spikes.first < 40);
  // Too noisy to know: the cap; and the seconds cap for slow steps.
  CHECK(run(0.5, 0).first == 40);
  const StepTiming slow = judge_steps({30.0, 31.0});
  CHECK(slow.done);
  CHECK_FALSE(judge_steps({}).done);
  CHECK(judge_steps({}).error == 1);
}

TEST_CASE("measure budget: under early stopping it is a share of the work the search is expected to do") {
  EarlyStopping asha;
  asha.rule = EarlyStopping::Rule::Asha;
  asha.eta = 4;
  asha.min_steps = 32;
  // Rungs at 32 and 128 of 256 steps: all to 32, a quarter to 128, a sixteenth to the end.
  CHECK(expected_work_share(asha, 256) == Approx((32 + 0.25 * 96 + 128.0 / 16) / 256));
  EarlyStopping median = asha;
  median.rule = EarlyStopping::Rule::Median;
  CHECK(expected_work_share(median, 256) == Approx((32 + 0.5 * 96 + 0.25 * 128) / 256));
  CHECK(expected_work_share(EarlyStopping{}, 256) == 1);
  Workload w = parse(kBaseWorkload);
  w.early_stopping = asha;
  CHECK(measure_options(w, 256).budget_share == Approx(0.05 * 0.25));
  w.profile.budget_seconds = 120;
  CHECK(measure_options(w, 256).budget_s == 120);
}
