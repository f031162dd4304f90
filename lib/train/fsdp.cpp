#include "train/fsdp.h"

#include <cmath>
#include <sstream>
#include <type_traits>

#include "core/error.h"
#ifdef SATURN_TORCH_CUDA
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif

namespace saturn::train {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The RNG a block's forward draws from (dropout): the CPU generator, or the
// CUDA one of the input's device.
at::Generator generator_for(const torch::Tensor& x) {
#ifdef SATURN_TORCH_CUDA
  if (x.is_cuda()) return at::cuda::detail::getDefaultCUDAGenerator(x.device().index());
#endif
  (void)x;
  return at::detail::getDefaultCPUGenerator();
}

// One block under FSDP: gathers its parameters (and those of the blocks it
// reads, e.g. a tied embedding) for forward, frees them, and in backward
// gathers again, recomputes, and returns the shards' gradients.
struct BlockFn : torch::autograd::Function<BlockFn> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, at::TensorList shards, int64_t block,
                               int64_t self) {
    auto* f = reinterpret_cast<Fsdp*>(self);
    const auto units = unit_blocks(f, static_cast<size_t>(block));
    ctx->saved_data["block"] = block;
    ctx->saved_data["self"] = self;
    ctx->saved_data["rng"] = generator_for(x).get_state();
    ctx->save_for_backward({x});
    for (size_t u : units) f->gather_block(u);
    torch::Tensor y = f->model()->forward_range(x, static_cast<size_t>(block), static_cast<size_t>(block) + 1);
    for (size_t u : units) f->free_block(u);
    (void)shards;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto* f = reinterpret_cast<Fsdp*>(ctx->saved_data["self"].toInt());
    const auto block = static_cast<size_t>(ctx->saved_data["block"].toInt());
    const auto units = unit_blocks(f, block);
    torch::Tensor x = ctx->get_saved_variables()[0].detach();
    const bool float_input = x.is_floating_point();
    if (float_input) x.requires_grad_(true);
    for (size_t u : units) f->gather_block(u);
    at::Generator gen = generator_for(x);
    const torch::Tensor now = gen.get_state();
    gen.set_state(ctx->saved_data["rng"].toTensor());  // the forward's dropout masks
    {
      torch::AutoGradMode on(true);
      torch::Tensor y = f->model()->forward_range(x, block, block + 1);
      torch::autograd::backward({y}, {grads[0]});
    }
    gen.set_state(now);
    variable_list out;
    out.push_back(float_input ? x.grad() : torch::Tensor());
    for (size_t u : units) out.push_back(f->reduce_block_grads(u));
    for (size_t u : units) f->free_block(u);
    out.push_back(torch::Tensor());  // block
    out.push_back(torch::Tensor());  // self
    return out;
  }

  static std::vector<size_t> unit_blocks(Fsdp* f, size_t block) {
    std::vector<size_t> units{block};
    for (size_t u : f->model()->uses(block)) units.push_back(u);
    return units;
  }
};

// The per-parameter state tensors of an optimizer, by name (AdamW: exp_avg,
// exp_avg_sq, max_exp_avg_sq when defined; SGD: momentum_buffer), and the
// AdamW step count.
struct StateView {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  int64_t step = 0;
};
// The optimizer's key for a parameter's state: the TensorImpl pointer as
// text in LibTorch 1.x, the pointer itself in later releases.
using StateMap = std::remove_reference_t<decltype(std::declval<torch::optim::Optimizer&>().state())>;
template <class K>
K key_as(c10::TensorImpl* impl) {
  if constexpr (std::is_same_v<K, std::string>) {
    std::ostringstream s;  // what c10::guts::to_string writes
    s << impl;
    return s.str();
  } else {
    return static_cast<K>(impl);
  }
}
typename StateMap::key_type state_key(const torch::Tensor& p) {
  return key_as<typename StateMap::key_type>(p.unsafeGetTensorImpl());
}

void add(StateView& v, const char* name, const torch::Tensor& t) { v.tensors.emplace_back(std::string(name), t); }

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

}  // namespace

Fsdp::Fsdp(BlockModel model, Communicator& comm) : model_(std::move(model)), comm_(comm) {
  const int64_t world = comm_.world(), rank = comm_.rank();
  for (size_t b = 0; b < model_->size(); ++b) {
    Block blk;
    for (auto& p : model_->block(b).ptr()->parameters())
      if (p.requires_grad()) {
        blk.offsets.push_back(blk.numel);
        blk.numel += p.numel();
        blk.params.push_back(p);
      }
    blk.shard = (blk.numel + world - 1) / world;
    torch::Tensor flat = torch::zeros({blk.shard * world}, blk.params.empty() ? torch::TensorOptions()
                                                                               : blk.params[0].options());
    {
      torch::NoGradGuard g;
      for (size_t i = 0; i < blk.params.size(); ++i)
        flat.narrow(0, blk.offsets[i], blk.params[i].numel()).copy_(blk.params[i].reshape({-1}));
    }
    shards_.push_back(flat.narrow(0, rank * blk.shard, blk.shard).clone().detach().requires_grad_(true));
    blocks_.push_back(std::move(blk));
  }
  release();
}

Fsdp::~Fsdp() = default;

int64_t Fsdp::shard_bytes() const {
  int64_t n = 0;
  for (const auto& s : shards_) n += s.numel() * static_cast<int64_t>(s.element_size());
  return n;
}

void Fsdp::gather_block(size_t b) {
  Block& blk = blocks_[b];
  if (blk.params.empty()) return;
  torch::NoGradGuard g;
  torch::Tensor full = torch::empty({blk.shard * comm_.world()}, shards_[b].options().requires_grad(false));
  comm_.all_gather(shards_[b].detach(), full);
  for (size_t i = 0; i < blk.params.size(); ++i) {
    auto& p = blk.params[i];
    p.set_data(full.narrow(0, blk.offsets[i], p.numel()).view(p.sizes()));
  }
}

void Fsdp::free_block(size_t b) {
  for (auto& p : blocks_[b].params) {
    // Keep the shape (modules read it) over a one-element storage.
    p.set_data(torch::zeros(std::vector<int64_t>(p.dim(), 1), p.options()).expand(p.sizes()));
    p.mutable_grad() = torch::Tensor();
  }
}

torch::Tensor Fsdp::reduce_block_grads(size_t b) {
  Block& blk = blocks_[b];
  torch::NoGradGuard g;
  torch::Tensor flat = torch::zeros({blk.shard * comm_.world()}, shards_[b].options().requires_grad(false));
  for (size_t i = 0; i < blk.params.size(); ++i)
    if (blk.params[i].grad().defined())
      flat.narrow(0, blk.offsets[i], blk.params[i].numel()).copy_(blk.params[i].grad().reshape({-1}));
  torch::Tensor mine = torch::empty({blk.shard}, flat.options());
  comm_.reduce_scatter(flat, mine);
  for (auto& p : blk.params) p.mutable_grad() = torch::Tensor();
  return mine;
}

torch::Tensor Fsdp::forward(const torch::Tensor& input) {
  torch::Tensor x = input;
  const auto self = static_cast<int64_t>(reinterpret_cast<intptr_t>(this));
  for (size_t b = 0; b < blocks_.size(); ++b) {
    std::vector<torch::Tensor> unit{shards_[b]};
    for (size_t u : model_->uses(b)) unit.push_back(shards_[u]);
    x = BlockFn::apply(x, at::TensorList(unit), static_cast<int64_t>(b), self);
  }
  return x;
}

double Fsdp::clip_grad_norm(double max_norm) {
  torch::NoGradGuard g;
  torch::Tensor sq = torch::zeros({1}, shards_.at(0).options().dtype(torch::kDouble).requires_grad(false));
  for (const auto& s : shards_)
    if (s.grad().defined()) sq += s.grad().to(torch::kDouble).pow(2).sum();
  comm_.all_reduce(sq);
  const double norm = std::sqrt(sq.item<double>());
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1)
    for (auto& s : shards_)
      if (s.grad().defined()) s.mutable_grad().mul_(coef);
  return norm;
}

void Fsdp::materialise() {
  for (auto& blk : blocks_)
    for (auto& p : blk.params) p.set_data(torch::empty(p.sizes(), p.options()));
}

void Fsdp::release() {
  for (size_t b = 0; b < blocks_.size(); ++b) free_block(b);
}

std::unique_ptr<torch::optim::Optimizer> Fsdp::gather_full(
    torch::optim::Optimizer& sharded,
    const std::function<std::unique_ptr<torch::optim::Optimizer>(const std::vector<torch::Tensor>&)>& make) {
  std::vector<torch::Tensor> all;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    gather_block(b);
    for (auto& p : blocks_[b].params) all.push_back(p);
  }
  auto full = make(all);
  torch::NoGradGuard g;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    Block& blk = blocks_[b];
    const StateView mine = state_of(sharded, shards_[b]);
    if (mine.tensors.empty() || blk.params.empty()) continue;
    std::vector<StateView> per(blk.params.size());
    for (const auto& [name, t] : mine.tensors) {
      torch::Tensor whole = torch::empty({blk.shard * comm_.world()}, t.options());
      comm_.all_gather(t.contiguous(), whole);
      for (size_t i = 0; i < blk.params.size(); ++i) {
        per[i].step = mine.step;
        per[i].tensors.emplace_back(name, whole.narrow(0, blk.offsets[i], blk.params[i].numel()).view(blk.params[i].sizes()).clone());
      }
    }
    for (size_t i = 0; i < blk.params.size(); ++i) set_state(*full, blk.params[i], per[i]);
  }
  return full;
}

void Fsdp::load_full(torch::optim::Optimizer& full, torch::optim::Optimizer& sharded) {
  const int64_t rank = comm_.rank();
  torch::NoGradGuard g;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    Block& blk = blocks_[b];
    if (blk.params.empty()) continue;
    auto slice = [&](const std::vector<torch::Tensor>& parts) {
      torch::Tensor flat = torch::zeros({blk.shard * comm_.world()}, parts[0].options());
      for (size_t i = 0; i < parts.size(); ++i) flat.narrow(0, blk.offsets[i], parts[i].numel()).copy_(parts[i].reshape({-1}));
      return flat.narrow(0, rank * blk.shard, blk.shard).clone();
    };
    shards_[b].set_data(slice(blk.params));
    std::vector<StateView> per;
    for (auto& p : blk.params) per.push_back(state_of(full, p));
    if (per[0].tensors.empty()) continue;
    StateView mine;
    mine.step = per[0].step;
    for (size_t k = 0; k < per[0].tensors.size(); ++k) {
      std::vector<torch::Tensor> parts;
      for (const auto& v : per) parts.push_back(v.tensors.at(k).second);
      mine.tensors.emplace_back(per[0].tensors[k].first, slice(parts));
    }
    set_state(sharded, shards_[b], mine);
  }
  release();
}

}  // namespace saturn::train
