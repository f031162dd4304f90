#include "train/pipeline.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "train/optim_state.h"

namespace saturn::train {

std::vector<size_t> balance_stages(const std::vector<double>& t, size_t stages) {
  const size_t n = t.size();
  if (stages == 0 || stages > n) throw internal_error("balance_stages: " + std::to_string(stages) + " stages for " +
                                                      std::to_string(n) + " blocks");
  std::vector<double> prefix(n + 1, 0);
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + t[i];
  // best[k][i]: the slowest stage when blocks [0, i) form k stages.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> best(stages + 1, std::vector<double>(n + 1, inf));
  std::vector<std::vector<size_t>> from(stages + 1, std::vector<size_t>(n + 1, 0));
  best[0][0] = 0;
  for (size_t k = 1; k <= stages; ++k)
    for (size_t i = k; i <= n; ++i)
      for (size_t j = k - 1; j < i; ++j) {
        const double v = std::max(best[k - 1][j], prefix[i] - prefix[j]);
        if (v < best[k][i]) {
          best[k][i] = v;
          from[k][i] = j;
        }
      }
  std::vector<size_t> cuts(stages + 1);
  cuts[stages] = n;
  for (size_t k = stages, i = n; k > 0; --k) {
    i = from[k][i];
    cuts[k - 1] = i;
  }
  return cuts;
}

Pipeline::Pipeline(BlockModel model, Communicator& comm, std::vector<size_t> cuts, PipeSchedule schedule)
    : model_(std::move(model)), comm_(comm), cuts_(std::move(cuts)), schedule_(schedule) {
  if (cuts_.size() != static_cast<size_t>(comm_.world()) + 1 || cuts_.front() != 0 || cuts_.back() != model_->size())
    throw internal_error("pipeline: bad stage cuts");
  // A block read by a block of another stage is held by both (tied weights).
  for (size_t b = 0; b < model_->size(); ++b)
    for (size_t u : model_->uses(b))
      if (std::upper_bound(cuts_.begin(), cuts_.end(), b) != std::upper_bound(cuts_.begin(), cuts_.end(), u))
        shared_.push_back(u);
  std::sort(shared_.begin(), shared_.end());
  shared_.erase(std::unique(shared_.begin(), shared_.end()), shared_.end());
  for (size_t b = 0; b < model_->size(); ++b)
    if (holds(b))
      for (auto& p : model_->block(b).ptr()->parameters())
        if (p.requires_grad()) params_.push_back(p);
  release();
}

bool Pipeline::holds(size_t b) const {
  if (b >= first_block() && b < end_block()) return true;
  for (size_t s = first_block(); s < end_block(); ++s)
    for (size_t u : model_->uses(s))
      if (u == b) return true;
  return false;
}

void Pipeline::release() {
  for (size_t b = 0; b < model_->size(); ++b)
    if (!holds(b))
      for (auto& p : model_->block(b).ptr()->parameters()) drop_storage(p);
}

void Pipeline::materialise() {
  for (size_t b = 0; b < model_->size(); ++b)
    if (!holds(b))
      for (auto& p : model_->block(b).ptr()->parameters()) p.set_data(torch::empty(p.sizes(), p.options()));
}

// A tensor between stages: its shape first (rank, then dims), then the data.
void Pipeline::send_tensor(const torch::Tensor& t, int dst) {
  std::vector<int64_t> head{t.dim()};
  for (auto d : t.sizes()) head.push_back(d);
  head.resize(9, 0);
  comm_.send(torch::tensor(head, torch::TensorOptions().dtype(torch::kLong).device(t.device())), dst);
  comm_.send(t.contiguous(), dst);
}

torch::Tensor Pipeline::recv_tensor(int src, const torch::TensorOptions& o) {
  torch::Tensor head = torch::empty({9}, torch::TensorOptions().dtype(torch::kLong).device(o.device()));
  comm_.recv(head, src);
  head = head.cpu();
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < head[0].item<int64_t>(); ++i) dims.push_back(head[i + 1].item<int64_t>());
  torch::Tensor t = torch::empty(dims, o);
  comm_.recv(t, src);
  return t;
}

torch::Tensor Pipeline::exchange(const torch::Tensor& t, int peer, const torch::TensorOptions& o) {
  std::vector<int64_t> head{t.dim()};
  for (auto d : t.sizes()) head.push_back(d);
  head.resize(9, 0);
  const auto longs = torch::TensorOptions().dtype(torch::kLong).device(t.device());
  torch::Tensor theirs = torch::empty({9}, longs);
  comm_.send_recv(torch::tensor(head, longs), peer, theirs, peer);
  theirs = theirs.cpu();
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < theirs[0].item<int64_t>(); ++i) dims.push_back(theirs[i + 1].item<int64_t>());
  torch::Tensor got = torch::empty(dims, o);
  comm_.send_recv(t.contiguous(), peer, got, peer);
  return got;
}

torch::Tensor Pipeline::run(const std::vector<torch::Tensor>& inputs, const std::vector<torch::Tensor>& targets,
                            const std::vector<double>& scale, bool train) {
  const int rank = comm_.rank(), last = comm_.world() - 1;
  const size_t m = inputs.size();
  const auto act = model_->parameters().empty() ? torch::TensorOptions() : params_.at(0).options();
  const auto plain = act.requires_grad(false);
  torch::Tensor total = torch::zeros({}, act.dtype(torch::kDouble).requires_grad(false));
  std::vector<torch::Tensor> ins(m), outs(m);
  int64_t in_flight = 0;
  // Micro-batch k forward from this stage's input x; returns what goes to
  // the next stage (the last stage adds its loss to the total).
  auto forward = [&](size_t k, torch::Tensor x) {
    if (rank > 0 && train) x.requires_grad_(true);
    torch::Tensor y = model_->forward_range(x, first_block(), end_block());
    if (rank == last) {
      y = BlockModelImpl::loss(y, targets[k]) * scale[k];
      total += y.detach().to(torch::kDouble);
    }
    if (train) {
      ins[k] = x;
      outs[k] = y;
      peak_in_flight_ = std::max(peak_in_flight_, ++in_flight);
    }
    return y.detach();
  };
  // Micro-batch k backward from the gradient of its output (none on the
  // last stage); returns the gradient of its input (undefined on the first).
  auto backward = [&](size_t k, const torch::Tensor& grad) {
    if (rank == last) outs[k].backward();
    else outs[k].backward(grad);
    torch::Tensor g = rank > 0 ? ins[k].grad() : torch::Tensor();
    ins[k] = outs[k] = torch::Tensor();  // its activations are freed now
    --in_flight;
    return g;
  };
  auto input = [&](size_t k) { return rank == 0 ? inputs[k] : recv_tensor(rank - 1, plain); };
  if (!train || schedule_ == PipeSchedule::GPipe) {
    for (size_t k = 0; k < m; ++k) {
      torch::Tensor y = forward(k, input(k));
      if (rank < last) send_tensor(y, rank + 1);
    }
    if (!train) return total;
    for (size_t k = m; k-- > 0;) {
      torch::Tensor g = backward(k, rank < last ? recv_tensor(rank + 1, plain) : torch::Tensor());
      if (rank > 0) send_tensor(g, rank - 1);
    }
  } else {
    // 1F1B (as Megatron-LM's non-interleaved schedule).
    const size_t warm = std::min(static_cast<size_t>(last - rank), m);
    for (size_t k = 0; k < warm; ++k) {
      torch::Tensor y = forward(k, input(k));
      if (rank < last) send_tensor(y, rank + 1);
    }
    torch::Tensor x = warm < m ? input(warm) : torch::Tensor();
    for (size_t i = 0; i + warm < m; ++i) {
      torch::Tensor y = forward(warm + i, x);
      torch::Tensor grad = rank < last ? exchange(y, rank + 1, plain) : torch::Tensor();
      torch::Tensor g = backward(i, grad);
      const bool more = i + warm + 1 < m;
      if (rank == 0) {
        if (more) x = inputs[warm + i + 1];
      } else if (more) {
        x = exchange(g, rank - 1, plain);
      } else {
        send_tensor(g, rank - 1);
      }
    }
    for (size_t i = m - warm; i < m; ++i) {
      torch::Tensor g = backward(i, rank < last ? recv_tensor(rank + 1, plain) : torch::Tensor());
      if (rank > 0) send_tensor(g, rank - 1);
    }
  }
  sum_shared_grads();
  return total;
}

void Pipeline::sum_shared_grads() {
  torch::NoGradGuard g;
  for (size_t b : shared_)
    for (auto& p : model_->block(b).ptr()->parameters()) {
      if (!p.requires_grad()) continue;
      torch::Tensor grad = holds(b) && p.grad().defined() ? p.grad() : torch::zeros(p.sizes(), p.options());
      comm_.all_reduce(grad);
      if (holds(b)) p.mutable_grad() = grad;
    }
}

double Pipeline::clip_grad_norm(double max_norm) {
  torch::NoGradGuard g;
  const auto o = params_.at(0).options().dtype(torch::kDouble).requires_grad(false);
  torch::Tensor sq = torch::zeros({1}, o);
  // Each parameter once: a shared block counts on the stage that owns it.
  for (size_t b = first_block(); b < end_block(); ++b)
    for (auto& p : model_->block(b).ptr()->parameters())
      if (p.requires_grad() && p.grad().defined()) sq += p.grad().to(torch::kDouble).pow(2).sum();
  comm_.all_reduce(sq);
  const double norm = std::sqrt(sq.item<double>());
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1)
    for (auto& p : params_)
      if (p.grad().defined()) p.mutable_grad().mul_(coef);
  return norm;
}

std::unique_ptr<torch::optim::Optimizer> Pipeline::gather_full(
    torch::optim::Optimizer& mine,
    const std::function<std::unique_ptr<torch::optim::Optimizer>(const std::vector<torch::Tensor>&)>& make) {
  materialise();
  std::vector<torch::Tensor> all;
  for (auto& p : model_->parameters())
    if (p.requires_grad()) all.push_back(p);
  auto full = make(all);
  torch::NoGradGuard g;
  for (size_t b = 0; b < model_->size(); ++b) {
    const int owner = static_cast<int>(std::upper_bound(cuts_.begin(), cuts_.end(), b) - cuts_.begin()) - 1;
    for (auto& p : model_->block(b).ptr()->parameters()) {
      if (!p.requires_grad()) continue;
      comm_.broadcast(p, owner);
      // The state: a count of tensors and the step first, then each tensor.
      StateView v = comm_.rank() == owner ? state_of(mine, p) : StateView{};
      torch::Tensor head = torch::tensor({static_cast<int64_t>(v.tensors.size()), v.step},
                                         torch::TensorOptions().dtype(torch::kLong).device(p.device()));
      comm_.broadcast(head, owner);
      head = head.cpu();
      const int64_t count = head[0].item<int64_t>();
      StateView got;
      got.step = head[1].item<int64_t>();
      static const char* kNames[] = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
      const bool sgd = dynamic_cast<torch::optim::SGD*>(&mine) != nullptr;
      for (int64_t k = 0; k < count; ++k) {
        torch::Tensor t = comm_.rank() == owner ? v.tensors[static_cast<size_t>(k)].second.clone()
                                                : torch::empty(p.sizes(), p.options());
        comm_.broadcast(t, owner);
        got.tensors.emplace_back(sgd ? "momentum_buffer" : kNames[k], t);
      }
      set_state(*full, p, got);
    }
  }
  return full;
}

void Pipeline::load_full(torch::optim::Optimizer& full, torch::optim::Optimizer& mine) {
  for (auto& p : params_) set_state(mine, p, state_of(full, p));
  release();
}

}  // namespace saturn::train
