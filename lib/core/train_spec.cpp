#include "train_spec.h"

#include <algorithm>
#include <cmath>

#include "text.h"

namespace saturn {

const char* optimizer_name(Optimizer o) { return o == Optimizer::AdamW ? "adamw" : "sgd"; }
const char* schedule_name(Schedule s) { return s == Schedule::Constant ? "constant" : "cosine"; }
const char* precision_name(Precision p) {
  switch (p) {
    case Precision::Auto: return "auto";
    case Precision::Fp32: return "fp32";
    case Precision::Bf16: return "bf16";
  }
  return "?";
}

std::string canonical(const TrainSpec& t) {
  return "steps=" + std::to_string(t.steps) + ",epochs=" + format_number(t.epochs) +
         ",optimizer=" + optimizer_name(t.optimizer) + ",schedule=" + schedule_name(t.schedule) +
         ",grad_clip=" + format_number(t.grad_clip) + ",log_every=" + std::to_string(t.log_every) +
         ",eval_every=" + std::to_string(t.eval_every) +
         ",eval_batches=" + std::to_string(t.eval_batches) +
         ",checkpoint_every=" + std::to_string(t.checkpoint_every) +
         ",precision=" + precision_name(t.precision) + (t.eval.empty() ? "" : ",eval=" + canonical(t.eval));
}

const char* profile_mode_name(ProfileMode m) {
  switch (m) {
    case ProfileMode::Auto: return "auto";
    case ProfileMode::Full: return "full";
    case ProfileMode::None: return "none";
  }
  return "auto";
}

double checkpoint_interval(const TrainSpec& t, double last_save_s) {
  if (!(t.checkpoint_seconds > 0)) return INFINITY;
  return std::max(t.checkpoint_seconds, 60 * last_save_s);
}

}  // namespace saturn
