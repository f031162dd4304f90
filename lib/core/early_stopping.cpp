#include "early_stopping.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "text.h"

namespace saturn {
namespace {

// Lower ranks first: a loss as it is, a task metric negated; non-finite
// metrics (NaN, inf: a diverged job) last. from_rank undoes it (for cuts).
double rank_value(double m, bool max) {
  return std::isfinite(m) ? (max ? -m : m) : std::numeric_limits<double>::infinity();
}
double from_rank(double r, bool max) { return max && std::isfinite(r) ? -r : r; }

// A metric in four significant figures, as the leaderboard shows losses.
std::string metric_text(double m) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", m);
  return b;
}

std::string ordinal(int64_t n) {
  const int64_t t = n % 100;
  const char* suffix = (t >= 11 && t <= 13) ? "th" : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
  return std::to_string(n) + suffix;
}

}  // namespace

const char* early_stopping_rule_name(EarlyStopping::Rule r) {
  switch (r) {
    case EarlyStopping::Rule::Asha: return "asha";
    case EarlyStopping::Rule::Median: return "median";
    default: return "none";
  }
}

const char* early_stopping_metric_name(const EarlyStopping& e) { return e.metric.c_str(); }

int64_t rung_bracket(const EarlyStopping& e, size_t index) {
  if (e.rule != EarlyStopping::Rule::Asha || e.brackets <= 1) return 0;
  return static_cast<int64_t>(index % static_cast<size_t>(e.brackets));
}

std::vector<int64_t> rung_steps(const EarlyStopping& e, int64_t steps, int64_t bracket) {
  std::vector<int64_t> out;
  if (!e.on()) return out;
  const int64_t first = e.min_steps > 0 ? e.min_steps : std::max<int64_t>(1, steps / 16);
  double at = static_cast<double>(first);
  for (int64_t k = 0; k < bracket; ++k) at *= static_cast<double>(e.eta);
  for (int64_t k = bracket; k < e.max_rungs; ++k) {
    if (at >= static_cast<double>(steps)) break;
    out.push_back(static_cast<int64_t>(at));
    at *= static_cast<double>(e.eta);
  }
  return out;
}

RungDecision RungBook::decide(const std::string& job, int64_t bracket, int64_t rung, int64_t step, double metric,
                              const std::string& reason) {
  RungDecision d{job, bracket, rung, step, metric, false, 0, 0, 0, NAN, reason};
  const bool max = spec_.maximized();
  const auto rank_value = [max](double m) { return saturn::rank_value(m, max); };
  const double mine = rank_value(metric);
  if (spec_.rule == EarlyStopping::Rule::Asha) {
    // Ranked among those at the rung before it (ties: they came first), itself last.
    int64_t better = 0;
    std::vector<double> at;
    for (const auto& p : all_)
      if (p.bracket == bracket && p.rung == rung) {
        at.push_back(rank_value(p.metric));
        if (rank_value(p.metric) <= mine) ++better;
      }
    at.push_back(mine);
    std::sort(at.begin(), at.end());
    d.n = static_cast<int64_t>(at.size());
    d.keep = std::max<int64_t>(1, d.n / spec_.eta);
    d.rank = better + 1;
    d.cut = from_rank(at[static_cast<size_t>(d.keep - 1)], max);
    d.stop = d.rank > d.keep;
  } else if (spec_.rule == EarlyStopping::Rule::Median) {
    // Its best so far against the median of the others' running averages.
    double best = mine;
    for (int64_t k = 0; k < rung; ++k)
      if (const RungDecision* p = find(job, k)) best = std::min(best, rank_value(p->metric));
    std::vector<double> averages;
    for (const auto& p : all_) {
      if (p.bracket != bracket || p.rung != rung || p.job == job) continue;
      double sum = 0;
      for (int64_t k = 0; k <= rung; ++k) {
        const RungDecision* q = find(p.job, k);
        sum += q ? rank_value(q->metric) : rank_value(p.metric);
      }
      averages.push_back(sum / static_cast<double>(rung + 1));
    }
    d.n = static_cast<int64_t>(averages.size());
    if (d.n >= spec_.min_jobs && d.n > 0) {
      std::sort(averages.begin(), averages.end());
      const size_t h = averages.size() / 2;
      const double cut = averages.size() % 2 ? averages[h] : (averages[h - 1] + averages[h]) / 2;
      d.cut = from_rank(cut, max);
      d.stop = best > cut;
    }
  }
  if (!reason.empty()) d.stop = true;  // a diverged job cannot go on
  restore(d);
  return d;
}

void RungBook::restore(const RungDecision& d) {
  index_[{d.job, d.rung}] = all_.size();
  all_.push_back(d);
}

const RungDecision* RungBook::find(const std::string& job, int64_t rung) const {
  auto it = index_.find({job, rung});
  return it == index_.end() ? nullptr : &all_[it->second];
}

std::string early_stopping_text(const EarlyStopping& e, int64_t steps) {
  std::string s = std::string(early_stopping_rule_name(e.rule)) + " (" +
                  (e.rule == EarlyStopping::Rule::Asha ? "eta " + std::to_string(e.eta) + ", " : "") +
                  early_stopping_metric_name(e) + ")";
  if (steps <= 0) return s;
  const auto rungs = rung_steps(e, steps, 0);
  if (rungs.empty()) return s + ": no rung below the " + std::to_string(steps) + " steps";
  std::string list;
  for (int64_t r : rungs) list += (list.empty() ? "" : ", ") + std::to_string(r);
  return s + ": rung" + (rungs.size() > 1 ? "s at steps " : " at step ") + list + " of " + std::to_string(steps);
}

std::string rung_decision_text(const RungDecision& d, EarlyStopping::Rule rule) {
  std::string s = "rung " + std::to_string(d.rung) + " (step " + std::to_string(d.step) + "): " +
                  (std::isfinite(d.metric) ? metric_text(d.metric) : std::string("not finite"));
  if (!d.reason.empty()) return s + ", " + d.reason + ": stopped";
  if (rule == EarlyStopping::Rule::Asha) {
    s += ", " + ordinal(d.rank) + " of " + std::to_string(d.n) + ", the best " + std::to_string(d.keep) +
         " continue (cut " + metric_text(d.cut) + ")";
  } else if (std::isnan(d.cut)) {
    s += ", " + std::to_string(d.n) + " other" + (d.n == 1 ? "" : "s") + " at the rung (too few to compare)";
  } else {
    s += ", median of " + std::to_string(d.n) + " others " + metric_text(d.cut);
  }
  return s + (d.stop ? ": stopped" : ": continues");
}

}  // namespace saturn

namespace saturn {

double expected_work_share(const EarlyStopping& e, int64_t steps) {
  if (!e.on() || steps <= 0) return 1;
  const double keep = e.rule == EarlyStopping::Rule::Asha ? 1.0 / static_cast<double>(e.eta) : 0.5;
  double work = 0, alive = 1;
  int64_t from = 0;
  for (int64_t r : rung_steps(e, steps, 0)) {
    work += alive * static_cast<double>(r - from);
    alive *= keep;
    from = r;
  }
  work += alive * static_cast<double>(steps - from);
  return work / static_cast<double>(steps);
}

}  // namespace saturn
