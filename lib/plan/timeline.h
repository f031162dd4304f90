// Timeline: which device of which node is held when, for building plans one
// option at a time (serial schedule generation with backfilling). place()
// puts an option at the earliest start >= `not_before` where enough devices
// of its node are free for its whole duration, preferring the devices that
// became free last (best fit, to keep large holes whole), lowest ids first.
// Pinned options are held from 0 to their remaining time. Not thread-safe;
// cheap to copy.
#pragma once

#include <cstdint>
#include <vector>

#include "plan/plan.h"
#include "plan/problem.h"

namespace saturn {

class Timeline {
 public:
  explicit Timeline(const PlanProblem& p);  // holds the pinned options; `p` must outlive it

  // Earliest start of option `o` (>= not_before) and its end; no change.
  double earliest_start(size_t o, double not_before = 0) const;
  // Places option `o` at its earliest start and records it.
  const Assignment& place(size_t o, double not_before = 0);

  const std::vector<Assignment>& items() const { return items_; }
  double makespan() const { return makespan_; }
  // The plan so far (items sorted, makespan set; bound, method, stop empty).
  Plan plan() const;

 private:
  struct Span { double start, end; };
  // Start >= not_before where `devices` devices of `node` are free for
  // `duration`; fills `ids` with the chosen devices.
  double find(size_t node, int64_t devices, double duration, double not_before, std::vector<int64_t>* ids) const;
  bool free_during(size_t node, int64_t d, double start, double end) const;

  const PlanProblem* p_;
  std::vector<std::vector<std::vector<Span>>> busy_;  // [node][device] sorted spans
  std::vector<Assignment> items_;
  double makespan_ = 0;
};

}  // namespace saturn
