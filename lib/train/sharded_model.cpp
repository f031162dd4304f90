#include "train/sharded_model.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <type_traits>

#include "core/error.h"
#include "train/optim_state.h"
#include <map>
#include <optional>
#ifdef SATURN_TORCH_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGeneratorImpl.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
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

// A tensor's storage bytes, allocated or dropped in place: every view of it
// (the parameters, and what autograd saved of them) sees the change.
void allocate_storage(const torch::Tensor& t) {
  c10::StorageImpl* s = t.storage().unsafeGetStorageImpl();
  const size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  s->set_data_ptr_noswap(s->allocator()->allocate(bytes));
  s->set_nbytes(bytes);
}
void drop_storage_bytes(const torch::Tensor& t) {
  c10::StorageImpl* s = t.storage().unsafeGetStorageImpl();
  s->set_data_ptr_noswap(at::DataPtr(nullptr, t.device()));
  s->set_nbytes(0);
}

// One group of blocks with recompute: gathers its units for forward, frees
// them, and in backward gathers again, recomputes, and returns the shards'
// gradients.
struct BlockFn : torch::autograd::Function<BlockFn> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, at::TensorList shards, int64_t group,
                               int64_t self) {
    auto* f = reinterpret_cast<ShardedModel*>(self);
    const auto g = static_cast<size_t>(group);
    ctx->saved_data["group"] = group;
    ctx->saved_data["self"] = self;
    ctx->saved_data["rng"] = generator_for(x).get_state();
    ctx->save_for_backward({x});
    f->enter_group(g, +1);
    const size_t begin = g * static_cast<size_t>(f->group_blocks());
    const size_t end = std::min(f->model()->size(), begin + static_cast<size_t>(f->group_blocks()));
    torch::Tensor y = f->model()->forward_range(x, begin, end);
    f->leave_group(g, +1);
    (void)shards;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto* f = reinterpret_cast<ShardedModel*>(ctx->saved_data["self"].toInt());
    const auto g = static_cast<size_t>(ctx->saved_data["group"].toInt());
    const size_t begin = g * static_cast<size_t>(f->group_blocks());
    const size_t end = std::min(f->model()->size(), begin + static_cast<size_t>(f->group_blocks()));
    torch::Tensor x = ctx->get_saved_variables()[0].detach();
    const bool float_input = x.is_floating_point();
    if (float_input) x.requires_grad_(true);
    f->enter_group(g, -1);
    at::Generator gen = generator_for(x);
    const torch::Tensor now = gen.get_state();
    gen.set_state(ctx->saved_data["rng"].toTensor());  // the forward's dropout masks
    {
      torch::AutoGradMode on(true);
      torch::Tensor y = f->model()->forward_range(x, begin, end);
      // A frozen group on integer input (a LoRA job's embedding) has nothing to differentiate.
      if (y.requires_grad()) torch::autograd::backward({y}, {grads[0]});
    }
    gen.set_state(now);
    variable_list out;
    out.push_back(float_input ? x.grad() : torch::Tensor());
    for (size_t u : f->group_units(g)) out.push_back(f->reduce_block_grads(u));
    f->leave_group(g, -1);
    out.push_back(torch::Tensor());  // group
    out.push_back(torch::Tensor());  // self
    return out;
  }
};

}  // namespace

// Spilling on CUDA: host-to-device copies of the next group on a side
// stream, each unit's copy followed by an event the compute stream waits on.
struct ShardedModel::Prefetch {
#ifdef SATURN_TORCH_CUDA
  c10::cuda::CUDAStream stream = c10::cuda::getStreamFromPool();
  std::map<size_t, at::cuda::CUDAEvent> ready;  // unit -> its copy is done
#endif
  std::optional<size_t> group;                   // the group being prefetched
};

ShardedModel::ShardedModel(BlockModel model, const ShardOptions& o)
    : model_(std::move(model)),
      comm_(o.comm),
      group_blocks_(std::max<int64_t>(1, o.group_blocks)),
      recompute_(o.recompute),
      host_shards_(!o.comm || o.offload) {
  if (comm_) {
    world_ = comm_->world();
    rank_ = comm_->rank();
  }
  for (size_t b = 0; b < model_->size(); ++b) {
    Block blk;
    for (auto& p : model_->block(b).ptr()->parameters()) {
      Part& part = p.requires_grad() ? blk.train : blk.frozen;
      if (!part.params.empty() && part.params[0].scalar_type() != p.scalar_type())
        throw internal_error("sharding: a block's parameters of one kind must share a dtype");
      part.offsets.push_back(part.numel);
      part.numel += p.numel();
      part.params.push_back(p);
      if (!device_.has_device()) device_ = p.options().requires_grad(false);
    }
    shards_.push_back(take_apart(blk.train).requires_grad_(true));
    frozen_.push_back(take_apart(blk.frozen));
    blk.gathered = blk.train.numel + blk.frozen.numel > 0;
    if (blk.gathered) resident_ += bytes_of(blk);
    blocks_.push_back(std::move(blk));
  }
#ifdef SATURN_TORCH_CUDA
  if (!comm_ && recompute_ && device_.device().is_cuda()) {
    c10::cuda::CUDAGuard on(device_.device());
    prefetch_ = std::make_unique<Prefetch>();
  }
#endif
  release();
  peak_resident_ = 0;
}

// Moves a part's parameters into one flat buffer (the module's own copies
// are freed) and returns this rank's slice of it, in host memory when the
// shards live there.
torch::Tensor ShardedModel::take_apart(Part& part) {
  part.shard = (part.numel + world_ - 1) / world_;
  const auto on = part.params.empty() ? device_ : part.params[0].options().requires_grad(false);
  part.flat = torch::zeros({part.shard * world_}, on);
  {
    torch::NoGradGuard g;
    for (size_t i = 0; i < part.params.size(); ++i)
      part.flat.narrow(0, part.offsets[i], part.params[i].numel()).copy_(part.params[i].reshape({-1}));
    bind(part);
  }
  torch::Tensor mine = part.flat.narrow(0, rank_ * part.shard, part.shard).clone();
  if (host_shards_) {  // spilling, offload: the parameters live in host memory
    mine = mine.to(torch::kCPU);
    if (torch::cuda::is_available()) mine = mine.pin_memory();
  }
  return mine;
}

void ShardedModel::bind(Part& part) {
  for (size_t i = 0; i < part.params.size(); ++i) {
    auto& p = part.params[i];
    p.set_data(part.flat.narrow(0, part.offsets[i], p.numel()).view(p.sizes()));
  }
}

int64_t ShardedModel::bytes_of(const Block& blk) {
  return blk.train.numel * static_cast<int64_t>(blk.train.flat.element_size()) +
         blk.frozen.numel * static_cast<int64_t>(blk.frozen.flat.element_size());
}

ShardedModel::~ShardedModel() = default;

int64_t ShardedModel::shard_bytes() const {
  int64_t n = 0;
  for (const auto& s : shards_) n += s.numel() * static_cast<int64_t>(s.element_size());
  return n;
}

int64_t ShardedModel::frozen_shard_bytes() const {
  int64_t n = 0;
  for (const auto& s : frozen_) n += s.numel() * static_cast<int64_t>(s.element_size());
  return n;
}

size_t ShardedModel::groups() const {
  return (blocks_.size() + static_cast<size_t>(group_blocks_) - 1) / static_cast<size_t>(group_blocks_);
}

std::vector<size_t> ShardedModel::group_units(size_t g) const {
  const size_t begin = g * static_cast<size_t>(group_blocks_);
  const size_t end = std::min(blocks_.size(), begin + static_cast<size_t>(group_blocks_));
  std::vector<size_t> units;
  for (size_t b = begin; b < end; ++b) units.push_back(b);
  for (size_t b = begin; b < end; ++b)
    for (size_t u : model_->uses(b))
      if (std::find(units.begin(), units.end(), u) == units.end()) units.push_back(u);
  return units;
}

void ShardedModel::gather_block(size_t b) {
  Block& blk = blocks_[b];
  if (blk.train.params.empty() && blk.frozen.params.empty()) return;
  torch::NoGradGuard g;
  if (!blk.gathered) {
    fill(blk.train, shards_[b].detach());
    fill(blk.frozen, frozen_[b]);
    blk.gathered = true;
    resident_ += bytes_of(blk);
    peak_resident_ = std::max(peak_resident_, resident_);
  }
#ifdef SATURN_TORCH_CUDA
  if (prefetch_) {
    auto e = prefetch_->ready.find(b);
    if (e != prefetch_->ready.end()) {
      e->second.block(c10::cuda::getCurrentCUDAStream(device_.device().index()));
      prefetch_->ready.erase(e);
    }
  }
#endif
  // (Re)bind the parameters to the buffers: a checkpoint load may have
  // pointed them elsewhere. Their version counters stay their own.
  bind(blk.train);
  bind(blk.frozen);
}

// Allocates a part's flat buffer and fills it from the shards: all-gathered
// over the ranks (FSDP) or copied from host memory (spilling).
void ShardedModel::fill(Part& part, torch::Tensor shard) {
  if (part.params.empty()) return;
  allocate_storage(part.flat);
  if (comm_) {
    if (shard.device() != part.flat.device()) shard = shard.to(part.flat.device(), /*non_blocking=*/true);
    comm_->all_gather(shard, part.flat);
  } else {
    part.flat.copy_(shard, /*non_blocking=*/true);
  }
}

void ShardedModel::free_block(size_t b) {
  Block& blk = blocks_[b];
  if (blk.gathered) {
    resident_ -= bytes_of(blk);
    drop_storage_bytes(blk.train.flat);
    drop_storage_bytes(blk.frozen.flat);
  }
  blk.gathered = false;
  for (auto& p : blk.train.params) p.mutable_grad() = torch::Tensor();
}

void ShardedModel::start_prefetch(size_t g) {
#ifdef SATURN_TORCH_CUDA
  // The compute stream's work queued so far may still use memory the
  // allocator hands out now: the copies wait for it, not for what comes next.
  at::cuda::CUDAEvent queued;
  queued.record(c10::cuda::getCurrentCUDAStream(device_.device().index()));
  queued.block(prefetch_->stream);
  c10::cuda::CUDAStreamGuard on(prefetch_->stream);
  torch::NoGradGuard no_grad;
  for (size_t u : group_units(g)) {
    Block& blk = blocks_[u];
    if ((blk.train.params.empty() && blk.frozen.params.empty()) || blk.gathered) continue;
    fill(blk.train, shards_[u].detach());
    fill(blk.frozen, frozen_[u]);
    blk.gathered = true;
    resident_ += bytes_of(blk);
    prefetch_->ready[u].record(prefetch_->stream);
  }
  peak_resident_ = std::max(peak_resident_, resident_);
  prefetch_->group = g;
#else
  (void)g;
#endif
}

void ShardedModel::enter_group(size_t g, int order) {
  for (size_t u : group_units(g)) gather_block(u);
  if (!prefetch_) return;
  const auto next = static_cast<int64_t>(g) + order;
  if (next >= 0 && next < static_cast<int64_t>(groups())) start_prefetch(static_cast<size_t>(next));
}

void ShardedModel::leave_group(size_t g, int order) {
  std::vector<size_t> keep;
  const auto next = static_cast<int64_t>(g) + order;
  if (prefetch_ && prefetch_->group && static_cast<int64_t>(*prefetch_->group) == next) keep = group_units(*prefetch_->group);
  for (size_t u : group_units(g))
    if (std::find(keep.begin(), keep.end(), u) == keep.end()) free_block(u);
}

torch::Tensor ShardedModel::gather_state(const torch::Tensor& shard, int64_t shard_numel) {
  torch::Tensor mine = shard.to(device_.device(), /*non_blocking=*/false, /*copy=*/!comm_);
  if (!comm_) return mine;
  torch::Tensor full = torch::empty({shard_numel * world_}, mine.options().requires_grad(false));
  comm_->all_gather(mine.contiguous(), full);
  return full;
}

torch::Tensor ShardedModel::reduce_flat(const torch::Tensor& flat, int64_t shard_numel) {
  if (!comm_) return flat.to(torch::kCPU);
  torch::Tensor mine = torch::empty({shard_numel}, flat.options());
  comm_->reduce_scatter(flat, mine);
  return host_shards_ ? mine.to(torch::kCPU) : mine;
}

torch::Tensor ShardedModel::reduce_block_grads(size_t b) {
  Part& part = blocks_[b].train;
  torch::NoGradGuard g;
  torch::Tensor flat = torch::zeros({part.shard * world_}, device_);
  for (size_t i = 0; i < part.params.size(); ++i)
    if (part.params[i].grad().defined())
      flat.narrow(0, part.offsets[i], part.params[i].numel()).copy_(part.params[i].grad().reshape({-1}));
  torch::Tensor mine = reduce_flat(flat, part.shard);
  for (auto& p : part.params) p.mutable_grad() = torch::Tensor();
  return mine;
}

void ShardedModel::reduce_into_shard(size_t b) {
  torch::NoGradGuard g;
  torch::Tensor mine = reduce_block_grads(b);
  auto& grad = shards_[b].mutable_grad();
  if (grad.defined()) grad.add_(mine);
  else grad = mine;
}

torch::Tensor ShardedModel::forward(const torch::Tensor& input) {
  torch::Tensor x = input;
  const auto self = static_cast<int64_t>(reinterpret_cast<intptr_t>(this));
  const size_t n = groups();
  if (recompute_) {
    for (size_t g = 0; g < n; ++g) {
      std::vector<torch::Tensor> unit;
      for (size_t u : group_units(g)) unit.push_back(shards_[u]);
      x = BlockFn::apply(x, at::TensorList(unit), static_cast<int64_t>(g), self);
    }
    return x;
  }
  // Keep activations: group g's backward starts at its output's gradient
  // (gather g again) and ends at its input's (reduce and free g). Both hooks
  // of a group boundary go on the one tensor, reduce first, so a unit two
  // groups share (a tied embedding) is freed before it is gathered again.
  for (size_t g = 0; g < n; ++g) {
    const size_t begin = g * static_cast<size_t>(group_blocks_);
    const size_t end = std::min(blocks_.size(), begin + static_cast<size_t>(group_blocks_));
    for (size_t u : group_units(g)) gather_block(u);
    torch::Tensor y = model_->forward_range(x, begin, end);
    for (size_t u : group_units(g)) free_block(u);
    if (y.requires_grad()) {
      if (g + 1 < n) {
        y.register_hook([this, g](torch::Tensor grad) {
          for (size_t u : group_units(g + 1)) reduce_into_shard(u);
          for (size_t u : group_units(g + 1)) free_block(u);
          for (size_t u : group_units(g)) gather_block(u);
          return grad;
        });
      } else {
        y.register_hook([this, g](torch::Tensor grad) {
          for (size_t u : group_units(g)) gather_block(u);
          return grad;
        });
      }
    }
    x = y;
  }
  return x;
}

void ShardedModel::finish_backward() {
  if (recompute_) return;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    bool any = false;
    for (auto& p : blocks_[b].train.params) any = any || p.grad().defined();
    if (any) reduce_into_shard(b);
    free_block(b);
  }
}

double ShardedModel::clip_grad_norm(double max_norm) {
  torch::NoGradGuard g;
  const auto on = shards_.at(0).options().dtype(torch::kDouble).requires_grad(false);
  torch::Tensor sq = torch::zeros({1}, on);
  for (const auto& s : shards_)
    if (s.grad().defined()) sq += s.grad().to(torch::kDouble).pow(2).sum();
  if (comm_) {  // the communicator works on the device (offloaded shards are on the host)
    torch::Tensor d = sq.to(device_.device());
    comm_->all_reduce(d);
    sq = d.cpu();
  }
  const double norm = std::sqrt(sq.item<double>());
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1)
    for (auto& s : shards_)
      if (s.grad().defined()) s.mutable_grad().mul_(coef);
  return norm;
}

void ShardedModel::materialise() {
  // The frozen parameters are in no checkpoint: gathered with their values
  // (the trainable ones too, which the loaded checkpoint then replaces).
  for (size_t b = 0; b < blocks_.size(); ++b) gather_block(b);
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
    for (auto& p : blocks_[b].train.params) all.push_back(p);
  }
  auto full = make(all);
  torch::NoGradGuard g;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    Part& part = blocks_[b].train;
    const StateView mine = state_of(sharded, shards_[b]);
    if (mine.tensors.empty() || part.params.empty()) continue;
    std::vector<StateView> per(part.params.size());
    for (const auto& [name, t] : mine.tensors) {
      const torch::Tensor whole = gather_state(t, part.shard);
      for (size_t i = 0; i < part.params.size(); ++i) {
        per[i].step = mine.step;
        per[i].tensors.emplace_back(name, whole.narrow(0, part.offsets[i], part.params[i].numel()).view(part.params[i].sizes()).clone());
      }
    }
    for (size_t i = 0; i < part.params.size(); ++i) set_state(*full, part.params[i], per[i]);
  }
  return full;
}

void ShardedModel::load_full(torch::optim::Optimizer& full, torch::optim::Optimizer& sharded) {
  const int64_t rank = rank_;
  torch::NoGradGuard g;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    Part& part = blocks_[b].train;  // the frozen part keeps what materialise() gathered
    if (part.params.empty()) continue;
    auto slice = [&](const std::vector<torch::Tensor>& parts) {
      torch::Tensor flat = torch::zeros({part.shard * world_}, parts[0].options());
      for (size_t i = 0; i < parts.size(); ++i) flat.narrow(0, part.offsets[i], parts[i].numel()).copy_(parts[i].reshape({-1}));
      torch::Tensor mine = flat.narrow(0, rank * part.shard, part.shard).to(shards_[b].device(), /*non_blocking=*/false, /*copy=*/true);
      return host_shards_ && torch::cuda::is_available() ? mine.pin_memory() : mine;
    };
    shards_[b].set_data(slice(part.params));
    std::vector<StateView> per;
    for (auto& p : part.params) per.push_back(state_of(full, p));
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
