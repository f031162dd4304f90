// Early stopping (search.early_stopping): where a job is compared with the
// others (its rungs) and whether it goes on (the rule), as pure functions of
// the metrics reported so far. The runner records every decision in
// state.db and restores a RungBook from them, so a resumed run never
// decides a recorded rung again. Lower losses are better, higher task
// metrics (eval.NAME.METRIC, shares in [0, 1]); a non-finite metric (a
// diverged job, a task not scored) ranks last.
//
// - asha (stopping-based, as Determined's adaptive ASHA): a job reaching
//   rung k is ranked among the jobs of its bracket that reached rung k so
//   far, itself included (n of them); it continues only within the best
//   max(1, floor(n / eta)). Ties go to the job that reached the rung first.
// - median (the median stopping rule): it stops when its best metric so far
//   is worse than the median of the other jobs' running averages (their
//   mean metric over rungs 0..k) at that rung; with fewer than `min_jobs`
//   others it continues.
//
// Rungs are at min_steps x eta^k (bracket b starts at k = b), below the
// job's steps, at most max_rungs - b of them; jobs go round-robin into
// brackets by their index. Plain value types.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace saturn {

struct EarlyStopping {
  enum class Rule { None, Asha, Median };
  Rule rule = Rule::None;
  std::string metric = "valid_loss";  // valid_loss, train_loss, or a task's eval.NAME.METRIC
  int64_t eta = 4;           // >= 2; also the rungs' spacing for median
  int64_t min_steps = 0;     // the first rung; 0 = a sixteenth of the job's steps (at least 1)
  int64_t max_rungs = 5;     // >= 1
  int64_t brackets = 1;      // asha: 1 .. max_rungs
  int64_t min_jobs = 3;      // median: others needed before a job can be stopped

  bool on() const { return rule != Rule::None; }
  bool maximized() const { return metric.rfind("eval.", 0) == 0; }  // task metrics: higher is better
  bool operator==(const EarlyStopping&) const = default;
};

const char* early_stopping_rule_name(EarlyStopping::Rule r);  // "none", "asha", "median"
const char* early_stopping_metric_name(const EarlyStopping& e);  // its metric: "valid_loss", "train_loss", "eval.t.m"

// The bracket of the job at `index` in the search's order.
int64_t rung_bracket(const EarlyStopping& e, size_t index);
// The steps at which a job of `steps` steps in `bracket` is compared,
// ascending, each below `steps` (empty when the rule is off).
std::vector<int64_t> rung_steps(const EarlyStopping& e, int64_t steps, int64_t bracket);
// The share of a search's steps it is expected to train: every job to the
// first rung, then the survivors of each rung to the next (asha: 1/eta of
// them, median: half), the last rung's to the end. 1 when the rule is off.
double expected_work_share(const EarlyStopping& e, int64_t steps);

// One decision: a job's metric at a rung, and what the rule made of it.
struct RungDecision {
  std::string job;
  int64_t bracket = 0, rung = 0, step = 0;
  double metric = 0;
  bool stop = false;
  int64_t rank = 0;       // asha: 1-based among the n at the rung; median: 0
  int64_t n = 0;          // jobs compared: asha the n at the rung, median the others
  int64_t keep = 0;       // asha: how many of the n continue; median: 0
  double cut = 0;         // asha: the worst metric that continues; median: the median (NaN: too few others)
  std::string reason;     // "diverged" when the job's loss was not finite, else ""

  bool operator==(const RungDecision&) const = default;
};

class RungBook {
 public:
  explicit RungBook(EarlyStopping spec) : spec_(spec) {}

  // Decides and records job's rung; a job's rungs arrive in order.
  RungDecision decide(const std::string& job, int64_t bracket, int64_t rung, int64_t step, double metric,
                      const std::string& reason = "");
  // Records a decision made before (restoring from state.db), in order.
  void restore(const RungDecision& d);

  // The job's decision at `rung`, or nullptr.
  const RungDecision* find(const std::string& job, int64_t rung) const;
  // Every decision, in the order they were made.
  const std::vector<RungDecision>& decisions() const { return all_; }
  const EarlyStopping& spec() const { return spec_; }

 private:
  EarlyStopping spec_;
  std::vector<RungDecision> all_;
  std::map<std::pair<std::string, int64_t>, size_t> index_;  // (job, rung) -> all_
};

// "asha (eta 4, valid_loss): rungs at steps 32, 128 of 256" for a job of
// `steps` steps in bracket 0 (steps 0: unknown, the rungs unnamed).
std::string early_stopping_text(const EarlyStopping& e, int64_t steps);

// One line for a decision: "rung 0 (step 4): 2.31, 3rd of 9, the best 2
// continue (cut 2.05): stopped".
std::string rung_decision_text(const RungDecision& d, EarlyStopping::Rule rule);

}  // namespace saturn
