// When a profiling trial knows its step time: the rule that ends a trial's
// timed steps, as a pure function over the step times so far (the worker's
// TrialTimer applies it; tests feed it synthetic streams).
//
// The estimate is the median of the timed steps (warm-up excluded), and its
// error the half-width of a distribution-free 95% confidence interval of the
// median from the order statistics (ranks n/2 -+ 0.98 sqrt(n)): no normality
// assumed, a stray slow step (a page fault, a collector) barely moves it.
// Timing stops once that half-width is at most `precision` of the median,
// after at least `min_steps`; or at `max_steps` timed steps or `max_seconds`
// of them. Steady steps stop after min_steps; noisy ones take as many as
// their noise needs.
#pragma once

#include <cstdint>
#include <vector>

namespace saturn {

struct StepTimingOptions {
  int64_t min_steps = 5;     // timed steps at least
  double precision = 0.02;   // stop when the median is known to within this share (95%)
  int64_t max_steps = 40;    // timed steps at most
  double max_seconds = 60;   // seconds of timed steps at most
};

struct StepTiming {
  double median = 0;         // seconds per step
  double error = 0;          // the 95% half-width, as a share of the median (1 while unknown)
  bool done = false;         // timing may stop
};

StepTiming judge_steps(const std::vector<double>& times, const StepTimingOptions& o = {});

}  // namespace saturn
