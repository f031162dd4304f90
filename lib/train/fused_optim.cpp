#include "train/fused_optim.h"

#include <cmath>
#include <map>

#include "core/error.h"

namespace saturn::train {

FusedOptimizer::FusedOptimizer(std::vector<torch::Tensor> params, Optimizer kind, const std::vector<Hyperparams>& hps)
    : params_(std::move(params)), kind_(kind), hps_(hps), steps_(hps.size(), 0) {
  for (const auto& p : params_) {
    if (p.size(0) != static_cast<int64_t>(hps_.size())) throw internal_error("fused optimizer: K mismatch");
    m_.push_back(torch::zeros_like(p).detach());
    v_.push_back(kind_ == Optimizer::AdamW ? torch::zeros_like(p).detach() : torch::Tensor());
  }
  for (const auto& h : hps_) lr_.push_back(h.lr);
}

void FusedOptimizer::set_lr(const std::vector<double>& lr) {
  if (lr.size() != hps_.size()) throw internal_error("fused optimizer: one lr per model");
  lr_ = lr;
}

// One parameter's update for `models` (p, g and the state hold exactly
// those); `c` holds this step's per-model coefficients, [K'] each.
void FusedOptimizer::update(torch::Tensor p, const torch::Tensor& g, std::vector<torch::Tensor*> state,
                            const Coefficients& c) {
  std::vector<int64_t> shape(static_cast<size_t>(p.dim()), 1);
  shape[0] = p.size(0);
  auto v = [&](const torch::Tensor& t) { return t.view(shape); };
  if (kind_ == Optimizer::AdamW) {
    torch::Tensor& m = *state[0];
    torch::Tensor& sq = *state[1];
    p.mul_(v(c.decay));
    m.mul_(v(c.beta1)).addcmul_(g, v(c.one_minus_beta1));
    sq.mul_(v(c.beta2)).addcmul_(g, g * v(c.one_minus_beta2));
    torch::Tensor denom = (sq.sqrt() / v(c.bias2)).add_(1e-8);
    p.addcmul_(m / denom, v(c.step));
  } else {
    torch::Tensor& buf = *state[0];
    // A model's first step starts its buffer at the gradient (0 * 0 + d).
    buf.mul_(v(c.beta1)).add_(g + p * v(c.decay));
    p.addcmul_(buf, v(c.step));
  }
}

FusedOptimizer::Coefficients FusedOptimizer::coefficients(const std::vector<int64_t>& models,
                                                          const torch::TensorOptions& o) const {
  auto each = [&](auto f) {
    std::vector<double> out;
    for (int64_t k : models) out.push_back(f(static_cast<size_t>(k)));
    return torch::tensor(out, torch::TensorOptions().dtype(torch::kDouble)).to(o);
  };
  Coefficients c;
  if (kind_ == Optimizer::AdamW) {
    c.decay = each([&](size_t k) { return 1 - lr_[k] * hps_[k].weight_decay; });
    c.beta1 = each([&](size_t k) { return hps_[k].beta1; });
    c.one_minus_beta1 = each([&](size_t k) { return 1 - hps_[k].beta1; });
    c.beta2 = each([&](size_t k) { return hps_[k].beta2; });
    c.one_minus_beta2 = each([&](size_t k) { return 1 - hps_[k].beta2; });
    c.bias2 = each([&](size_t k) { return std::sqrt(1 - std::pow(hps_[k].beta2, static_cast<double>(steps_[k]))); });
    c.step = each([&](size_t k) { return -lr_[k] / (1 - std::pow(hps_[k].beta1, static_cast<double>(steps_[k]))); });
  } else {
    c.decay = each([&](size_t k) { return hps_[k].weight_decay; });
    c.beta1 = each([&](size_t k) { return steps_[k] > 1 ? hps_[k].momentum : 0.0; });
    c.step = each([&](size_t k) { return -lr_[k]; });
  }
  return c;
}

void FusedOptimizer::step(const std::vector<bool>& active) {
  torch::NoGradGuard no_grad;
  std::vector<int64_t> models;
  for (size_t k = 0; k < hps_.size(); ++k)
    if (active.empty() || active.at(k)) models.push_back(static_cast<int64_t>(k));
  if (models.empty()) return;
  for (int64_t k : models) ++steps_[static_cast<size_t>(k)];
  const bool all = models.size() == hps_.size();
  std::map<std::string, Coefficients> coef;  // per device and dtype, once a step
  auto coefficients_for = [&](const torch::Tensor& p) -> const Coefficients& {
    const std::string key = p.device().str() + "/" + c10::toString(p.scalar_type());
    auto it = coef.find(key);
    if (it == coef.end()) it = coef.emplace(key, coefficients(models, p.options().requires_grad(false))).first;
    return it->second;
  };
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i];
    if (!p.grad().defined()) continue;
    if (all) {
      std::vector<torch::Tensor*> st = {&m_[i], &v_[i]};
      update(p, p.grad(), st, coefficients_for(p));
      continue;
    }
    // Some models sit this step out: update copies of the others' slices.
    const auto idx = torch::tensor(models, torch::TensorOptions().dtype(torch::kLong).device(p.device()));
    torch::Tensor ps = p.index_select(0, idx), gs = p.grad().index_select(0, idx), ms = m_[i].index_select(0, idx);
    torch::Tensor vs = v_[i].defined() ? v_[i].index_select(0, idx) : torch::Tensor();
    std::vector<torch::Tensor*> st = {&ms, &vs};
    update(ps, gs, st, coefficients_for(p));
    p.index_copy_(0, idx, ps);
    m_[i].index_copy_(0, idx, ms);
    if (vs.defined()) v_[i].index_copy_(0, idx, vs);
  }
}

StateView FusedOptimizer::state(size_t i, int64_t k) const {
  StateView s;
  const auto kk = static_cast<size_t>(k);
  if (steps_[kk] == 0) return s;
  if (kind_ == Optimizer::AdamW) {
    s.tensors = {{"exp_avg", m_[i][k].clone()}, {"exp_avg_sq", v_[i][k].clone()}};
    s.step = steps_[kk];
  } else if (hps_[kk].momentum != 0) {
    s.tensors = {{"momentum_buffer", m_[i][k].clone()}};
  }
  return s;
}

void FusedOptimizer::set_state(size_t i, int64_t k, const StateView& s) {
  torch::NoGradGuard no_grad;
  const auto kk = static_cast<size_t>(k);
  for (const auto& [name, t] : s.tensors) {
    if (name == "exp_avg" || name == "momentum_buffer") m_[i][k].copy_(t);
    if (name == "exp_avg_sq") v_[i][k].copy_(t);
  }
  // SGD keeps no step count: a buffer means the model has stepped.
  steps_[kk] = kind_ == Optimizer::AdamW ? s.step : std::max<int64_t>(steps_[kk], s.tensors.empty() ? 0 : 1);
}

}  // namespace saturn::train
