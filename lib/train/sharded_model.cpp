#include "train/sharded_model.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <type_traits>

#include "core/error.h"
#include "train/optim_state.h"
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

// One group of blocks [begin, end): gathers their parameters (and those of
// the blocks they read, e.g. a tied embedding) for forward, frees them, and
// in backward gathers again, recomputes, and returns the shards' gradients.
struct BlockFn : torch::autograd::Function<BlockFn> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, at::TensorList shards, int64_t begin,
                               int64_t end, int64_t self) {
    auto* f = reinterpret_cast<ShardedModel*>(self);
    const auto units = f->group_units(static_cast<size_t>(begin), static_cast<size_t>(end));
    ctx->saved_data["begin"] = begin;
    ctx->saved_data["end"] = end;
    ctx->saved_data["self"] = self;
    ctx->saved_data["rng"] = generator_for(x).get_state();
    ctx->save_for_backward({x});
    for (size_t u : units) f->gather_block(u);
    torch::Tensor y = f->model()->forward_range(x, static_cast<size_t>(begin), static_cast<size_t>(end));
    for (size_t u : units) f->free_block(u);
    (void)shards;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto* f = reinterpret_cast<ShardedModel*>(ctx->saved_data["self"].toInt());
    const auto begin = static_cast<size_t>(ctx->saved_data["begin"].toInt());
    const auto end = static_cast<size_t>(ctx->saved_data["end"].toInt());
    const auto units = f->group_units(begin, end);
    torch::Tensor x = ctx->get_saved_variables()[0].detach();
    const bool float_input = x.is_floating_point();
    if (float_input) x.requires_grad_(true);
    for (size_t u : units) f->gather_block(u);
    at::Generator gen = generator_for(x);
    const torch::Tensor now = gen.get_state();
    gen.set_state(ctx->saved_data["rng"].toTensor());  // the forward's dropout masks
    {
      torch::AutoGradMode on(true);
      torch::Tensor y = f->model()->forward_range(x, begin, end);
      torch::autograd::backward({y}, {grads[0]});
    }
    gen.set_state(now);
    variable_list out;
    out.push_back(float_input ? x.grad() : torch::Tensor());
    for (size_t u : units) out.push_back(f->reduce_block_grads(u));
    for (size_t u : units) f->free_block(u);
    out.push_back(torch::Tensor());  // begin
    out.push_back(torch::Tensor());  // end
    out.push_back(torch::Tensor());  // self
    return out;
  }
};

}  // namespace

ShardedModel::ShardedModel(BlockModel model, const ShardOptions& o)
    : model_(std::move(model)), comm_(o.comm), group_blocks_(std::max<int64_t>(1, o.group_blocks)) {
  if (comm_) {
    world_ = comm_->world();
    rank_ = comm_->rank();
  }
  const int64_t world = world_, rank = rank_;
  for (size_t b = 0; b < model_->size(); ++b) {
    Block blk;
    for (auto& p : model_->block(b).ptr()->parameters())
      if (p.requires_grad()) {
        blk.offsets.push_back(blk.numel);
        blk.numel += p.numel();
        blk.params.push_back(p);
      }
    blk.shard = (blk.numel + world - 1) / world;
    if (!blk.params.empty()) device_ = blk.params[0].options();
    torch::Tensor flat = torch::zeros({blk.shard * world}, device_);
    {
      torch::NoGradGuard g;
      for (size_t i = 0; i < blk.params.size(); ++i)
        flat.narrow(0, blk.offsets[i], blk.params[i].numel()).copy_(blk.params[i].reshape({-1}));
    }
    torch::Tensor mine = flat.narrow(0, rank * blk.shard, blk.shard).clone().detach();
    if (!comm_) {  // spilling: the parameters live in host memory
      mine = mine.to(torch::kCPU);
      if (torch::cuda::is_available()) mine = mine.pin_memory();
    }
    shards_.push_back(mine.requires_grad_(true));
    blocks_.push_back(std::move(blk));
  }
  release();
}

ShardedModel::~ShardedModel() = default;

int64_t ShardedModel::shard_bytes() const {
  int64_t n = 0;
  for (const auto& s : shards_) n += s.numel() * static_cast<int64_t>(s.element_size());
  return n;
}

void ShardedModel::gather_block(size_t b) {
  Block& blk = blocks_[b];
  if (blk.params.empty()) return;
  torch::NoGradGuard g;
  const torch::Tensor full = gather_flat(shards_[b].detach(), blk.shard);
  for (size_t i = 0; i < blk.params.size(); ++i) {
    auto& p = blk.params[i];
    p.set_data(full.narrow(0, blk.offsets[i], p.numel()).view(p.sizes()));
  }
  if (!blk.gathered) resident_ += blk.numel * static_cast<int64_t>(full.element_size());
  blk.gathered = true;
  peak_resident_ = std::max(peak_resident_, resident_);
}

torch::Tensor ShardedModel::gather_flat(const torch::Tensor& shard, int64_t shard_numel) {
  if (!comm_) return shard.to(device_.device(), /*non_blocking=*/true, /*copy=*/true);
  torch::Tensor full = torch::empty({shard_numel * world_}, shard.options().requires_grad(false));
  comm_->all_gather(shard.contiguous(), full);
  return full;
}

torch::Tensor ShardedModel::reduce_flat(const torch::Tensor& flat, int64_t shard_numel) {
  if (!comm_) return flat.to(torch::kCPU);
  torch::Tensor mine = torch::empty({shard_numel}, flat.options());
  comm_->reduce_scatter(flat, mine);
  return mine;
}

std::vector<size_t> ShardedModel::group_units(size_t begin, size_t end) const {
  std::vector<size_t> units;
  for (size_t b = begin; b < end; ++b) units.push_back(b);
  for (size_t b = begin; b < end; ++b)
    for (size_t u : model_->uses(b))
      if (std::find(units.begin(), units.end(), u) == units.end()) units.push_back(u);
  return units;
}

void ShardedModel::free_block(size_t b) {
  if (blocks_[b].gathered) resident_ -= blocks_[b].numel * static_cast<int64_t>(blocks_[b].params[0].element_size());
  blocks_[b].gathered = false;
  for (auto& p : blocks_[b].params) drop_storage(p);
}

torch::Tensor ShardedModel::reduce_block_grads(size_t b) {
  Block& blk = blocks_[b];
  torch::NoGradGuard g;
  torch::Tensor flat = torch::zeros({blk.shard * world_}, device_.requires_grad(false));
  for (size_t i = 0; i < blk.params.size(); ++i)
    if (blk.params[i].grad().defined())
      flat.narrow(0, blk.offsets[i], blk.params[i].numel()).copy_(blk.params[i].grad().reshape({-1}));
  torch::Tensor mine = reduce_flat(flat, blk.shard);
  for (auto& p : blk.params) p.mutable_grad() = torch::Tensor();
  return mine;
}

torch::Tensor ShardedModel::forward(const torch::Tensor& input) {
  torch::Tensor x = input;
  const auto self = static_cast<int64_t>(reinterpret_cast<intptr_t>(this));
  for (size_t b = 0; b < blocks_.size(); b += static_cast<size_t>(group_blocks_)) {
    const size_t end = std::min(blocks_.size(), b + static_cast<size_t>(group_blocks_));
    std::vector<torch::Tensor> unit;
    for (size_t u : group_units(b, end)) unit.push_back(shards_[u]);
    x = BlockFn::apply(x, at::TensorList(unit), static_cast<int64_t>(b), static_cast<int64_t>(end), self);
  }
  return x;
}

double ShardedModel::clip_grad_norm(double max_norm) {
  torch::NoGradGuard g;
  torch::Tensor sq = torch::zeros({1}, shards_.at(0).options().dtype(torch::kDouble).requires_grad(false));
  for (const auto& s : shards_)
    if (s.grad().defined()) sq += s.grad().to(torch::kDouble).pow(2).sum();
  if (comm_) comm_->all_reduce(sq);
  const double norm = std::sqrt(sq.item<double>());
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1)
    for (auto& s : shards_)
      if (s.grad().defined()) s.mutable_grad().mul_(coef);
  return norm;
}

void ShardedModel::materialise() {
  for (auto& blk : blocks_)
    for (auto& p : blk.params) p.set_data(torch::empty(p.sizes(), p.options()));
}

void ShardedModel::release() {
  for (size_t b = 0; b < blocks_.size(); ++b) free_block(b);
}

std::unique_ptr<torch::optim::Optimizer> ShardedModel::gather_full(
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
      const torch::Tensor whole = gather_flat(t, blk.shard);
      for (size_t i = 0; i < blk.params.size(); ++i) {
        per[i].step = mine.step;
        per[i].tensors.emplace_back(name, whole.narrow(0, blk.offsets[i], blk.params[i].numel()).view(blk.params[i].sizes()).clone());
      }
    }
    for (size_t i = 0; i < blk.params.size(); ++i) set_state(*full, blk.params[i], per[i]);
  }
  return full;
}

void ShardedModel::load_full(torch::optim::Optimizer& full, torch::optim::Optimizer& sharded) {
  const int64_t rank = rank_;
  torch::NoGradGuard g;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    Block& blk = blocks_[b];
    if (blk.params.empty()) continue;
    auto slice = [&](const std::vector<torch::Tensor>& parts) {
      torch::Tensor flat = torch::zeros({blk.shard * world_}, parts[0].options());
      for (size_t i = 0; i < parts.size(); ++i) flat.narrow(0, blk.offsets[i], parts[i].numel()).copy_(parts[i].reshape({-1}));
      return flat.narrow(0, rank * blk.shard, blk.shard).to(shards_[b].device(), /*non_blocking=*/false, /*copy=*/true);
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
