#include "train/optim_state.h"

namespace saturn::train {
namespace {
// The optimizer's key for a parameter's state: its TensorImpl.
void* state_key(const torch::Tensor& p) { return p.unsafeGetTensorImpl(); }

void add(StateView& v, const char* name, const torch::Tensor& t) { v.tensors.emplace_back(std::string(name), t); }

}  // namespace

StateView state_of(torch::optim::Optimizer& opt, const torch::Tensor& p) {
  StateView v;
  auto it = opt.state().find(state_key(p));
  if (it == opt.state().end()) return v;
  if (auto* a = dynamic_cast<torch::optim::AdamWParamState*>(it->second.get())) {
    add(v, "exp_avg", a->exp_avg());
    add(v, "exp_avg_sq", a->exp_avg_sq());
    if (a->max_exp_avg_sq().defined()) add(v, "max_exp_avg_sq", a->max_exp_avg_sq());
    v.step = a->step();
  } else if (auto* s = dynamic_cast<torch::optim::SGDParamState*>(it->second.get())) {
    if (s->momentum_buffer().defined()) add(v, "momentum_buffer", s->momentum_buffer());
  }
  return v;
}
void set_state(torch::optim::Optimizer& opt, const torch::Tensor& p, const StateView& v) {
  if (v.tensors.empty()) return;
  auto& slot = opt.state()[state_key(p)];
  if (dynamic_cast<torch::optim::AdamW*>(&opt)) {
    auto st = std::make_unique<torch::optim::AdamWParamState>();
    st->step(v.step);
    for (const auto& [name, t] : v.tensors) {
      if (name == "exp_avg") st->exp_avg(t);
      if (name == "exp_avg_sq") st->exp_avg_sq(t);
      if (name == "max_exp_avg_sq") st->max_exp_avg_sq(t);
    }
    slot = std::move(st);
  } else {
    auto st = std::make_unique<torch::optim::SGDParamState>();
    st->momentum_buffer(v.tensors.at(0).second);
    slot = std::move(st);
  }
}


}  // namespace saturn::train
