// Early stopping's rungs and rules (core/early_stopping.h) against a
// straightforward reference implementation of the published rules, on
// random asynchronous metric streams with ties and diverged jobs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/early_stopping.h"

using namespace saturn;

namespace {

double worst_if_bad(double m) { return std::isfinite(m) ? m : std::numeric_limits<double>::infinity(); }

// Determined's stopping-based ASHA, as written in its docs: the rung keeps a
// sorted list of the metrics that reached it; a new metric goes in after
// equal ones (earlier arrivals win ties), and the trial continues only if
// its place is within the top max(1, floor(n / eta)).
struct ReferenceAsha {
  int64_t eta;
  std::map<std::pair<int64_t, int64_t>, std::vector<double>> rungs;  // (bracket, rung) -> sorted
  bool stop(int64_t bracket, int64_t rung, double metric) {
    auto& v = rungs[{bracket, rung}];
    const double m = worst_if_bad(metric);
    const auto at = std::upper_bound(v.begin(), v.end(), m);
    const auto place = static_cast<int64_t>(at - v.begin());
    v.insert(at, m);
    const int64_t keep = std::max<int64_t>(1, static_cast<int64_t>(v.size()) / eta);
    return place >= keep;
  }
};

// The median stopping rule (Golovin et al., Vizier): stop a trial whose
// best objective so far is worse than the median of the other trials'
// running averages at the same step, once enough others got there.
struct ReferenceMedian {
  int64_t min_jobs;
  std::map<std::string, std::vector<double>> history;             // job -> metric per rung
  std::map<std::pair<int64_t, int64_t>, std::vector<std::string>> reached;  // (bracket, rung) -> jobs
  bool stop(const std::string& job, int64_t bracket, int64_t rung, double metric) {
    history[job].push_back(worst_if_bad(metric));
    auto& others = reached[{bracket, rung}];
    std::vector<double> averages;
    for (const auto& o : others) {
      const auto& h = history[o];
      double sum = 0;
      for (int64_t k = 0; k <= rung; ++k) sum += h[static_cast<size_t>(k)];
      averages.push_back(sum / double(rung + 1));
    }
    others.push_back(job);
    if (static_cast<int64_t>(averages.size()) < min_jobs) return false;
    std::sort(averages.begin(), averages.end());
    const size_t n = averages.size();
    const double median = n % 2 ? averages[n / 2] : (averages[n / 2 - 1] + averages[n / 2]) / 2;
    const auto& mine = history[job];
    return *std::min_element(mine.begin(), mine.end()) > median;
  }
};

struct Arrival {
  double time;
  size_t job;
  int64_t rung;
  bool operator>(const Arrival& o) const { return std::tie(time, job) > std::tie(o.time, o.job); }
};

// One random stream: jobs at random speeds reach their rungs asynchronously;
// a stopped job reaches no further rung. Returns how many decisions it took.
int64_t check_stream(uint32_t seed, EarlyStopping::Rule rule) {
  std::mt19937 rng(seed);
  EarlyStopping e;
  e.rule = rule;
  e.eta = std::uniform_int_distribution<int64_t>(2, 5)(rng);
  e.max_rungs = std::uniform_int_distribution<int64_t>(1, 5)(rng);
  e.brackets = rule == EarlyStopping::Rule::Asha ? std::uniform_int_distribution<int64_t>(1, std::min<int64_t>(2, e.max_rungs))(rng) : 1;
  e.min_jobs = std::uniform_int_distribution<int64_t>(1, 4)(rng);
  e.min_steps = 1;
  const size_t jobs = std::uniform_int_distribution<size_t>(3, 40)(rng);
  const bool coarse = rng() % 2 == 0;  // few distinct metrics: many ties
  RungBook book(e);
  ReferenceAsha asha{e.eta, {}};
  ReferenceMedian median{e.min_jobs, {}, {}};
  std::vector<double> speed(jobs), base(jobs);
  std::vector<int64_t> bracket(jobs);
  std::priority_queue<Arrival, std::vector<Arrival>, std::greater<>> queue;
  for (size_t j = 0; j < jobs; ++j) {
    speed[j] = std::uniform_real_distribution<double>(0.5, 2.0)(rng);
    base[j] = std::uniform_real_distribution<double>(1.0, 5.0)(rng);
    bracket[j] = rung_bracket(e, j);
    queue.push({std::uniform_real_distribution<double>(0, 3)(rng) + speed[j], j, 0});
  }
  int64_t decisions = 0;
  while (!queue.empty()) {
    const Arrival a = queue.top();
    queue.pop();
    const size_t rungs = rung_steps(e, 4096, bracket[a.job]).size();
    if (static_cast<size_t>(a.rung) >= rungs) continue;  // ran to the end
    double metric = base[a.job] / double(a.rung + 1) + std::uniform_real_distribution<double>(0, 0.5)(rng);
    if (coarse) metric = std::round(metric * 2) / 2;
    if (rng() % 17 == 0) metric = rng() % 2 ? NAN : std::numeric_limits<double>::infinity();
    const std::string id = "j" + std::to_string(a.job);
    const RungDecision d = book.decide(id, bracket[a.job], a.rung, 16 << a.rung, metric);
    const bool ref = rule == EarlyStopping::Rule::Asha ? asha.stop(bracket[a.job], a.rung, metric)
                                                        : median.stop(id, bracket[a.job], a.rung, metric);
    INFO("seed " << seed << " job " << id << " rung " << a.rung << " metric " << metric << " eta " << e.eta);
    REQUIRE(d.stop == ref);
    ++decisions;
    if (!d.stop) queue.push({a.time + speed[a.job] * double(e.eta), a.job, a.rung + 1});
  }
  return decisions;
}

}  // namespace

TEST_CASE("rungs at min_steps x eta^k below the steps, by bracket", "[early_stopping]") {
  EarlyStopping e;
  e.rule = EarlyStopping::Rule::Asha;
  CHECK(rung_steps(e, 64, 0) == std::vector<int64_t>{4, 16});  // a sixteenth, x4; 64 is the end
  e.min_steps = 2;
  e.eta = 3;
  CHECK(rung_steps(e, 100, 0) == std::vector<int64_t>{2, 6, 18, 54});
  e.max_rungs = 3;
  CHECK(rung_steps(e, 100, 0) == std::vector<int64_t>{2, 6, 18});
  CHECK(rung_steps(e, 100, 1) == std::vector<int64_t>{6, 18});
  CHECK(rung_steps(e, 2, 0).empty());
  e.min_steps = 0;
  CHECK(rung_steps(e, 10, 0) == std::vector<int64_t>{1, 3, 9});  // at least one step
  e.brackets = 2;
  CHECK(rung_bracket(e, 0) == 0);
  CHECK(rung_bracket(e, 3) == 1);
  CHECK(rung_steps(EarlyStopping{}, 100, 0).empty());
}

TEST_CASE("asha keeps the best max(1, n/eta) at each rung; ties go to the first", "[early_stopping]") {
  EarlyStopping e;
  e.rule = EarlyStopping::Rule::Asha;
  e.eta = 2;
  RungBook b(e);
  CHECK_FALSE(b.decide("a", 0, 0, 4, 3.0).stop);  // alone: the best 1 of 1
  CHECK(b.decide("b", 0, 0, 4, 3.0).stop);        // tie with a, which came first: 2nd of 2, keep 1
  const RungDecision c = b.decide("c", 0, 0, 4, 1.0);
  CHECK_FALSE(c.stop);
  CHECK(c.rank == 1);
  CHECK(c.n == 3);
  CHECK(c.keep == 1);
  const RungDecision d = b.decide("d", 0, 0, 4, 2.0);  // 2nd of 4, keep 2
  CHECK_FALSE(d.stop);
  CHECK(d.cut == 2.0);
  CHECK(rung_decision_text(d, e.rule) == "rung 0 (step 4): 2, 2nd of 4, the best 2 continue (cut 2): continues");
  const RungDecision x = b.decide("x", 0, 0, 4, NAN, "diverged");
  CHECK(x.stop);
  CHECK(rung_decision_text(x, e.rule) == "rung 0 (step 4): not finite, diverged: stopped");
  REQUIRE(b.find("c", 0) != nullptr);
  CHECK(b.find("c", 1) == nullptr);
  CHECK(b.decisions().size() == 5);
}

TEST_CASE("median stops a job whose best is worse than the others' running averages", "[early_stopping]") {
  EarlyStopping e;
  e.rule = EarlyStopping::Rule::Median;
  e.min_jobs = 2;
  RungBook b(e);
  CHECK_FALSE(b.decide("a", 0, 0, 4, 5.0).stop);
  const RungDecision lone = b.decide("b", 0, 0, 4, 9.0);  // one other: too few
  CHECK_FALSE(lone.stop);
  CHECK(std::isnan(lone.cut));
  CHECK(b.decide("c", 0, 0, 4, 8.0).stop);  // median of 5 and 9 is 7
  CHECK_FALSE(b.decide("a", 0, 1, 16, 2.0).stop);
  CHECK_FALSE(b.decide("b", 0, 1, 16, 9.0).stop);
  // d's best (4) against averages a (3.5) and b (9): median 6.25
  CHECK_FALSE(b.decide("d", 0, 0, 4, 4.0).stop);
}

TEST_CASE("a task metric (eval.NAME.METRIC) is maximised: asha and median keep the highest", "[early_stopping]") {
  EarlyStopping e;
  e.rule = EarlyStopping::Rule::Asha;
  e.eta = 2;
  e.metric = "eval.add.exact_match";
  REQUIRE(e.maximized());
  RungBook b(e);
  CHECK_FALSE(b.decide("a", 0, 0, 4, 0.25).stop);
  CHECK_FALSE(b.decide("b", 0, 0, 4, 0.75).stop);  // better than a: 1st of 2
  const RungDecision c = b.decide("c", 0, 0, 4, 0.5);  // 2nd of 3, keep 1
  CHECK(c.stop);
  CHECK(c.rank == 2);
  CHECK(c.cut == 0.75);  // the worst that continues, as the metric reads
  CHECK(rung_decision_text(c, e.rule) == "rung 0 (step 4): 0.5, 2nd of 3, the best 1 continue (cut 0.75): stopped");
  CHECK(b.decide("d", 0, 0, 4, NAN).stop);  // not scored: last
  EarlyStopping m = e;
  m.rule = EarlyStopping::Rule::Median;
  m.min_jobs = 2;
  RungBook med(m);
  med.decide("a", 0, 0, 4, 0.6);
  med.decide("b", 0, 0, 4, 0.2);
  const RungDecision low = med.decide("c", 0, 0, 4, 0.3);  // below the median 0.4 of a and b
  CHECK(low.stop);
  CHECK(low.cut == Approx(0.4));
  CHECK_FALSE(med.decide("d", 0, 0, 4, 0.5).stop);
}

TEST_CASE("decisions equal the reference rules on 50 random streams each", "[early_stopping]") {
  int64_t asha = 0, median = 0;
  for (uint32_t seed = 1; seed <= 50; ++seed) {
    asha += check_stream(seed, EarlyStopping::Rule::Asha);
    median += check_stream(1000 + seed, EarlyStopping::Rule::Median);
  }
  CHECK(asha > 500);
  CHECK(median > 500);
}

TEST_CASE("a restored book decides the next rungs as the original would", "[early_stopping]") {
  EarlyStopping e;
  e.rule = EarlyStopping::Rule::Asha;
  RungBook a(e), b(e);
  std::mt19937 rng(7);
  for (int i = 0; i < 30; ++i) a.decide("j" + std::to_string(i), 0, 0, 4, std::uniform_real_distribution<double>(0, 1)(rng));
  for (const auto& d : a.decisions()) b.restore(d);
  for (int i = 30; i < 40; ++i) {
    const double m = std::uniform_real_distribution<double>(0, 1)(rng);
    CHECK(a.decide("j" + std::to_string(i), 0, 0, 4, m) == b.decide("j" + std::to_string(i), 0, 0, 4, m));
  }
}
