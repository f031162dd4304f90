// Torch unit tests: model shapes and sizes, sampling, schedules, collectives.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <set>

#include "core/arch.h"
#include "core/error.h"
#include "train/comm/comm.h"
#include "train/data/dataset.h"
#include "train/data/sampler.h"
#include "train/pipeline.h"
#include "train/sharded_model.h"
#include "train/models/build.h"
#include "train/models/lora.h"
#include "train/optim.h"
#include "train/precision.h"
#include "ranks.h"
#include "source_dir.h"

using namespace saturn;
using namespace saturn::train;

namespace {
Config config_of(Arch a, std::vector<std::pair<std::string, Value>> kv) {
  Config c = default_config(a);
  for (auto& [k, v] : kv) c.set(k, v);
  return c;
}
}  // namespace

TEST_CASE("gpt: shapes, blocks, GPT-2 small has 124,439,808 parameters") {
  torch::manual_seed(0);
  auto m = build_model(Arch::Gpt, config_of(Arch::Gpt, {{"layers", int64_t(3)}, {"width", int64_t(32)},
                                                        {"heads", int64_t(4)}, {"seq_len", int64_t(16)}}), "");
  CHECK(m->size() == 5);  // embed, 3 blocks, head
  CHECK(m->block_name(0) == "embed");
  CHECK(m->block_name(4) == "head");
  auto out = m->forward(torch::randint(0, 256, {2, 16}, torch::kLong));
  CHECK(out.sizes() == torch::IntArrayRef({2, 16, 256}));
  // Shorter sequences than seq_len work too (causal mask sliced).
  CHECK(m->forward(torch::randint(0, 256, {2, 5}, torch::kLong)).sizes() == torch::IntArrayRef({2, 5, 256}));

  auto gpt2 = build_model(Arch::Gpt, config_of(Arch::Gpt, {{"layers", int64_t(12)}, {"width", int64_t(768)},
                                                           {"heads", int64_t(12)}, {"seq_len", int64_t(1024)},
                                                           {"vocab", int64_t(50257)}}), "");
  CHECK(gpt2->parameter_count() == 124439808);
}

TEST_CASE("mlp and vit: shapes") {
  auto mlp = build_model(Arch::Mlp, config_of(Arch::Mlp, {{"image", int64_t(8)}, {"hidden", int64_t(16)},
                                                          {"classes", int64_t(5)}}), "");
  CHECK(mlp->forward(torch::randn({3, 1, 8, 8})).sizes() == torch::IntArrayRef({3, 5}));
  auto vit = build_model(Arch::Vit, config_of(Arch::Vit, {{"image", int64_t(8)}, {"patch", int64_t(4)},
                                                          {"width", int64_t(16)}, {"heads", int64_t(2)},
                                                          {"classes", int64_t(7)}}), "");
  CHECK(vit->size() == 6);  // embed, 4 blocks, head
  CHECK(vit->forward(torch::randn({3, 3, 8, 8})).sizes() == torch::IntArrayRef({3, 7}));
}

TEST_CASE("resnet is refused with exit 69, not silently") {
  try {
    build_model(Arch::Resnet, default_config(Arch::Resnet), "");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.exit_code() == 69);
  }
}

TEST_CASE("the sampler draws each sample once per epoch, reproducibly") {
  EpochSampler a(10, 7), b(10, 7), c(10, 8);
  std::set<int64_t> epoch0, epoch1;
  bool same_as_other_seed = true, epochs_differ = false;
  for (int64_t p = 0; p < 10; ++p) {
    epoch0.insert(a.at(p));
    epoch1.insert(a.at(p + 10));
    same_as_other_seed = same_as_other_seed && a.at(p) == c.at(p);
    epochs_differ = epochs_differ || a.at(p) != a.at(p + 10);
  }
  CHECK(epoch0.size() == 10);
  CHECK(epoch1.size() == 10);
  CHECK_FALSE(same_as_other_seed);
  CHECK(epochs_differ);
  CHECK(b.at(25) == a.at(25));
  CHECK(b.at(3) == a.at(3));  // going back an epoch recomputes the same order
}

TEST_CASE("learning-rate schedules") {
  Hyperparams hp;
  hp.lr = 1.0;
  hp.warmup = 10;
  CHECK(lr_at(0, 100, Schedule::Cosine, hp) == Approx(0.1));
  CHECK(lr_at(9, 100, Schedule::Cosine, hp) == Approx(1.0));
  CHECK(lr_at(10, 100, Schedule::Cosine, hp) == Approx(1.0));
  CHECK(lr_at(55, 100, Schedule::Cosine, hp) == Approx(0.5));
  CHECK(lr_at(99, 100, Schedule::Cosine, hp) < 0.001);
  CHECK(lr_at(99, 100, Schedule::Constant, hp) == 1.0);
}

TEST_CASE("synthetic and text data shapes") {
  DataSpec spec;
  spec.train.format = DataFormat::Synthetic;
  spec.train.samples = 50;
  InputShape s;
  s.modality = Modality::Tokens;
  s.seq_len = 8;
  s.vocab = 32;
  auto split = open_data(spec, s, [](const std::string& p) { return p; });
  CHECK(split.train->size() == 45);
  CHECK(split.valid->size() == 5);
  auto b = split.train->batch({0, 1, 44});
  CHECK(b.input.sizes() == torch::IntArrayRef({3, 8}));
  CHECK(torch::equal(b.input.slice(1, 1), b.target.slice(1, 0, 7)));  // targets are inputs shifted by one
  CHECK(b.input.max().item<int64_t>() < 32);
  CHECK(torch::equal(split.train->batch({1}).input, b.input.slice(0, 1, 2)));  // the same sample every time

  spec.train.format = DataFormat::Text;
  spec.train.path = source_dir() + "/workloads/data/corpus.txt";
  spec.valid_fraction = 0.1;
  s.seq_len = 64;
  s.vocab = 256;
  auto text = open_data(spec, s, [](const std::string& p) { return p; });
  const int64_t windows = (static_cast<int64_t>(std::filesystem::file_size(spec.train.path)) - 1) / 64;
  CHECK(text.train->size() + text.valid->size() == windows);
  CHECK(text.valid->size() == windows / 10);
}

TEST_CASE("synthetic images: class pattern plus noise of the given standard deviation") {
  DataSpec spec;
  spec.train.format = DataFormat::Synthetic;
  spec.train.samples = 400;
  InputShape s;
  s.modality = Modality::Images;
  s.channels = 1;
  s.image = 8;
  s.classes = 2;
  auto images = [&](double noise) {
    spec.train.noise = noise;
    auto split = open_data(spec, s, [](const std::string& p) { return p; });
    std::vector<int64_t> all(static_cast<size_t>(split.train->size()));
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
    return split.train->batch(all);
  };
  const auto clean = images(0), unit = images(1), hard = images(3);
  CHECK(torch::equal(clean.target, hard.target));  // the same labels, the same patterns
  // Noise 0: every image of a class is its pattern; the noise is what remains.
  const auto pattern = clean.input.index_select(0, torch::tensor({0}, torch::kLong));
  const auto same = clean.target.eq(clean.target[0]);
  CHECK(torch::allclose(clean.input.index({same}), pattern.expand_as(clean.input.index({same}))));
  const double sd1 = (unit.input - clean.input).std().item<double>();
  const double sd3 = (hard.input - clean.input).std().item<double>();
  CHECK(sd1 == Approx(1.0).margin(0.05));
  CHECK(sd3 == Approx(3.0).margin(0.15));
}

TEST_CASE("bf16 autocast scope is on inside and restored after, weights stay fp32") {
  torch::manual_seed(0);
  auto lin = torch::nn::Linear(8, 4);
  auto x = torch::randn({2, 8});
  CHECK(uses_bf16(torch::Device("cuda:0"), Precision::Auto));
  CHECK_FALSE(uses_bf16(torch::Device("cpu"), Precision::Auto));
  CHECK(uses_bf16(torch::Device("cpu"), Precision::Bf16));
  CHECK_FALSE(uses_bf16(torch::Device("cuda:0"), Precision::Fp32));
  {
    AutocastScope on(torch::Device("cpu"), true);
    CHECK(lin(x).scalar_type() == torch::kBFloat16);
  }
  CHECK(lin(x).scalar_type() == torch::kFloat);
  CHECK(lin->weight.scalar_type() == torch::kFloat);
  {
    AutocastScope off(torch::Device("cpu"), false);
    CHECK(lin(x).scalar_type() == torch::kFloat);
  }
}

TEST_CASE("nccl: collectives on one CUDA rank, or exit 69 without CUDA") {
  const std::string store = "/tmp/saturn-test-nccl-" + std::to_string(::getpid());
  std::filesystem::remove(store);
  CommOptions o{store, 0, 1, "nccl", 60, 0};
  if (!torch::cuda::is_available()) {
    try {
      connect(o);
      FAIL("connect(nccl) succeeded without CUDA");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::Unavailable);
      WARN(std::string("no CUDA device here, checked only the refusal: ") + e.what());
    }
    return;
  }
  auto c = connect(o);
  const auto cuda = torch::TensorOptions().device(torch::kCUDA, 0);
  auto t = torch::full({4}, 3.0, cuda);
  c->all_reduce(t);
  CHECK(torch::allclose(t.cpu(), torch::full({4}, 3.0f)));
  auto g = torch::empty({1, 2}, cuda);
  c->all_gather(torch::full({2}, 5.0, cuda), g);
  CHECK(torch::allclose(g.cpu(), torch::full({1, 2}, 5.0f)));
  auto out = torch::empty({3}, cuda);
  c->reduce_scatter(torch::arange(3, cuda.dtype(torch::kFloat)), out);
  CHECK(torch::allclose(out.cpu(), torch::arange(3, torch::kFloat)));
  auto b = torch::full({2}, 7.0, cuda.dtype(torch::kBFloat16));
  c->broadcast(b, 0);
  CHECK(b.cpu().to(torch::kFloat)[0].item<float>() == 7.f);
  c->barrier();
  CHECK_THROWS_AS(c->all_reduce(t = torch::zeros({2})), Error);  // a CPU tensor is refused
  std::filesystem::remove(store);
}

TEST_CASE("gpt attention is causal: a later token changes no earlier output") {
  torch::manual_seed(1);
  auto m = build_model(Arch::Gpt, config_of(Arch::Gpt, {{"layers", int64_t(2)}, {"width", int64_t(32)},
                                                        {"heads", int64_t(4)}, {"seq_len", int64_t(16)}}), "");
  m->eval();
  torch::NoGradGuard g;
  auto x = torch::randint(0, 256, {2, 16}, torch::kLong);
  auto y = x.clone();
  y.index_put_({torch::indexing::Slice(), 9}, (x.select(1, 9) + 1) % 256);
  auto a = m->forward(x), b = m->forward(y);
  using torch::indexing::Slice;
  CHECK(torch::equal(a.index({Slice(), Slice(0, 9)}), b.index({Slice(), Slice(0, 9)})));
  CHECK_FALSE(torch::allclose(a.index({Slice(), Slice(9, 16)}), b.index({Slice(), Slice(9, 16)})));
}

TEST_CASE("fsdp: each of N ranks holds 1/N of the parameters, gradients and optimizer state") {
  // mode 0: recompute; 1: keep activations; 2: optimizer state offloaded to the host.
  for (int mode : {0, 1, 2})
  for (int world : {2, 3}) {
    CAPTURE(world, mode);
    CHECK(on_ranks(world, [world, mode](Communicator& c) {
      torch::manual_seed(0);
      auto m = build_model(Arch::Gpt, config_of(Arch::Gpt, {{"layers", int64_t(2)}, {"width", int64_t(32)},
                                                            {"heads", int64_t(2)}, {"seq_len", int64_t(16)},
                                                            {"vocab", int64_t(64)}}), "");
      int64_t full_bytes = 0;
      for (auto& p : m->parameters()) full_bytes += p.numel() * 4;
      ShardOptions so;
      so.comm = &c;
      so.recompute = mode != 1;
      so.offload = mode == 2;
      ShardedModel f(m, so);
      auto opt = make_optimizer(f.shards(), Optimizer::AdamW, Hyperparams{});
      auto x = torch::randint(64, {4, 16});
      auto loss = BlockModelImpl::loss(f.forward(x), torch::randint(64, {4, 16}));
      loss.backward();
      f.finish_backward();
      opt->step();
      int64_t grads = 0, state = 0, resident = 0;
      for (const auto& s : f.shards()) grads += s.grad().numel() * 4;
      for (const auto& [key, st] : opt->state()) {
        auto* a = dynamic_cast<torch::optim::AdamWParamState*>(st.get());
        state += (a->exp_avg().numel() + a->exp_avg_sq().numel()) * 4;
      }
      // Between steps the model's own parameters keep one element each.
      for (auto& p : m->parameters())
        if (p.requires_grad()) resident += p.storage().nbytes();
      const int64_t blocks = static_cast<int64_t>(m->size());
      const int64_t per_rank = full_bytes / world;
      const int64_t pad = blocks * 4 * world;  // at most world - 1 padding elements per block
      bool ok = f.shard_bytes() >= per_rank && f.shard_bytes() <= per_rank + pad;
      ok = ok && grads == f.shard_bytes() && state == 2 * f.shard_bytes();
      ok = ok && resident <= static_cast<int64_t>(m->parameters().size()) * 4;
      if (!ok)
        std::fprintf(stderr, "rank %d: full %lld, shard %lld, grads %lld, state %lld, resident %lld\n", c.rank(),
                     (long long)full_bytes, (long long)f.shard_bytes(), (long long)grads, (long long)state,
                     (long long)resident);
      return ok;
    }));
  }
}

namespace {

// A small gpt (seed 0) with rank-4 adapters on every projection; the bytes
// of its adapters and of its frozen base.
BlockModel lora_gpt(int64_t layers, int64_t* adapter_bytes, int64_t* base_bytes) {
  torch::manual_seed(0);
  auto m = build_model(Arch::Gpt, config_of(Arch::Gpt, {{"layers", layers}, {"width", int64_t(32)}, {"heads", int64_t(2)},
                                                        {"seq_len", int64_t(16)}, {"vocab", int64_t(64)}}), "");
  FinetuneSpec ft;
  ft.method = FinetuneMethod::Lora;
  ft.lora.rank = 4;
  apply_lora(Arch::Gpt, m, with_default_targets(ft, Arch::Gpt));
  for (auto& p : m->parameters()) (p.requires_grad() ? *adapter_bytes : *base_bytes) += p.numel() * 4;
  return m;
}

}  // namespace

TEST_CASE("fsdp with LoRA: each rank holds 1/N of the frozen base, and its shards, gradients and optimizer state are 1/N of the adapters alone") {
  for (int world : {2, 3}) {
    CAPTURE(world);
    CHECK(on_ranks(world, [world](Communicator& c) {
      int64_t adapter_bytes = 0, base_bytes = 0;
      auto m = lora_gpt(2, &adapter_bytes, &base_bytes);
      ShardOptions so;
      so.comm = &c;
      ShardedModel f(m, so);
      // Between steps the module's own parameters, base and adapters, hold no storage.
      int64_t resident = 0;
      for (auto& p : m->parameters()) resident += p.storage().nbytes();
      auto opt = make_optimizer(f.shards(), Optimizer::AdamW, Hyperparams{});
      auto loss = BlockModelImpl::loss(f.forward(torch::randint(64, {4, 16})), torch::randint(64, {4, 16}));
      loss.backward();
      f.finish_backward();
      opt->step();
      int64_t grads = 0, state = 0;
      for (const auto& s : f.shards())
        if (s.grad().defined()) grads += s.grad().numel() * 4;
      for (const auto& [key, st] : opt->state()) {
        auto* a = dynamic_cast<torch::optim::AdamWParamState*>(st.get());
        state += (a->exp_avg().numel() + a->exp_avg_sq().numel()) * 4;
      }
      const int64_t pad = static_cast<int64_t>(m->size()) * 4 * world;
      bool ok = f.shard_bytes() >= adapter_bytes / world && f.shard_bytes() <= adapter_bytes / world + pad;
      ok = ok && grads == f.shard_bytes() && state == 2 * f.shard_bytes();
      ok = ok && f.frozen_shard_bytes() >= base_bytes / world && f.frozen_shard_bytes() <= base_bytes / world + pad;
      ok = ok && resident == 0;
      if (!ok)
        std::fprintf(stderr, "rank %d: adapters %lld, shard %lld, grads %lld, state %lld, base %lld, base shard %lld, resident %lld\n",
                     c.rank(), (long long)adapter_bytes, (long long)f.shard_bytes(), (long long)grads, (long long)state,
                     (long long)base_bytes, (long long)f.frozen_shard_bytes(), (long long)resident);
      return ok;
    }));
  }
}

TEST_CASE("spill: parameters live on the host, at most one block group is resident at a time") {
  torch::manual_seed(0);
  auto m = build_model(Arch::Gpt, config_of(Arch::Gpt, {{"layers", int64_t(4)}, {"width", int64_t(32)},
                                                        {"heads", int64_t(2)}, {"seq_len", int64_t(16)},
                                                        {"vocab", int64_t(64)}}), "");
  std::vector<int64_t> block_bytes;
  int64_t full_bytes = 0;
  for (size_t b = 0; b < m->size(); ++b) {
    int64_t n = 0;
    for (auto& p : m->block(b).ptr()->parameters()) n += p.numel() * 4;
    block_bytes.push_back(n);
    full_bytes += n;
  }
  for (bool recompute : {true, false})
  for (int64_t group : {1, 2}) {
    CAPTURE(group, recompute);
    torch::manual_seed(0);
    auto model = build_model(Arch::Gpt, config_of(Arch::Gpt, {{"layers", int64_t(4)}, {"width", int64_t(32)},
                                                              {"heads", int64_t(2)}, {"seq_len", int64_t(16)},
                                                              {"vocab", int64_t(64)}}), "");
    ShardOptions so;
    so.group_blocks = group;
    so.recompute = recompute;
    ShardedModel s(model, so);
    CHECK(s.shard_bytes() == full_bytes);  // all of it, in host memory
    for (const auto& t : s.shards()) CHECK(t.device().is_cpu());
    auto loss = BlockModelImpl::loss(s.forward(torch::randint(64, {4, 16})), torch::randint(64, {4, 16}));
    loss.backward();
    s.finish_backward();
    // The largest group, plus the tied embedding the head reads.
    int64_t bound = 0;
    for (size_t b = 0; b < block_bytes.size(); b += static_cast<size_t>(group)) {
      int64_t g = 0;
      for (size_t k = b; k < std::min(block_bytes.size(), b + static_cast<size_t>(group)); ++k) g += block_bytes[k];
      if (b + static_cast<size_t>(group) >= block_bytes.size() && b > 0) g += block_bytes[0];
      bound = std::max(bound, g);
    }
    CHECK(s.peak_resident_bytes() > 0);
    CHECK(s.peak_resident_bytes() <= bound);
    CHECK(s.peak_resident_bytes() < full_bytes);
    for (const auto& t : s.shards()) CHECK(t.grad().defined());
  }
}

TEST_CASE("spill with LoRA: the frozen base lives on the host with the adapters, one block group at a time on the device") {
  int64_t adapter_bytes = 0, base_bytes = 0, largest = 0;
  auto m = lora_gpt(4, &adapter_bytes, &base_bytes);
  for (size_t b = 1; b + 1 < m->size(); ++b) {  // the layers; the embedding is read again by the tied head
    int64_t n = 0;
    for (auto& p : m->block(b).ptr()->parameters()) n += p.numel() * 4;
    largest = std::max(largest, n);
  }
  int64_t embed = 0, head = 0;
  for (auto& p : m->block(0).ptr()->parameters()) embed += p.numel() * 4;
  for (auto& p : m->block(m->size() - 1).ptr()->parameters()) head += p.numel() * 4;
  ShardOptions so;
  ShardedModel s(m, so);
  CHECK(s.shard_bytes() == adapter_bytes);
  CHECK(s.frozen_shard_bytes() == base_bytes);
  int64_t resident = 0;
  for (auto& p : m->parameters()) resident += p.storage().nbytes();
  CHECK(resident == 0);
  auto opt = make_optimizer(s.shards(), Optimizer::AdamW, Hyperparams{});
  auto loss = BlockModelImpl::loss(s.forward(torch::randint(64, {4, 16})), torch::randint(64, {4, 16}));
  loss.backward();
  s.finish_backward();
  opt->step();
  CHECK(s.peak_resident_bytes() <= std::max({embed, largest, head + embed}));
  CHECK(s.peak_resident_bytes() < (adapter_bytes + base_bytes) / 2);
  int64_t grads = 0;
  for (const auto& t : s.shards())
    if (t.grad().defined()) grads += t.grad().numel() * 4;
  CHECK(grads == adapter_bytes);
}

TEST_CASE("pipeline: stages balanced by block times") {
  CHECK(balance_stages({1, 1, 1, 1}, 2) == std::vector<size_t>{0, 2, 4});
  CHECK(balance_stages({5, 1, 1, 1, 1, 1}, 2) == std::vector<size_t>{0, 1, 6});
  CHECK(balance_stages({1, 2, 3, 4, 5}, 3) == std::vector<size_t>{0, 3, 4, 5});  // slowest stage 6
  CHECK(balance_stages({1, 1, 1}, 3) == std::vector<size_t>{0, 1, 2, 3});
  CHECK_THROWS_AS(balance_stages({1, 1}, 3), saturn::Error);
}

TEST_CASE("pipeline: a rank holds only its stage's parameters (and a tied weight it reads)") {
  CHECK(on_ranks(2, [](Communicator& c) {
    torch::manual_seed(0);
    auto m = build_model(Arch::Gpt, config_of(Arch::Gpt, {{"layers", int64_t(4)}, {"width", int64_t(32)},
                                                          {"heads", int64_t(2)}, {"seq_len", int64_t(16)},
                                                          {"vocab", int64_t(64)}}), "");
    std::vector<int64_t> bytes;
    for (size_t b = 0; b < m->size(); ++b) {
      int64_t n = 0;
      for (auto& p : m->block(b).ptr()->parameters()) n += p.numel() * 4;
      bytes.push_back(n);
    }
    const auto cuts = balance_stages(std::vector<double>(m->size(), 1.0), 2);  // {0, 3, 6}
    Pipeline pipe(m, c, cuts);
    int64_t resident = 0, mine = 0, full = 0;
    for (auto& p : m->parameters()) resident += static_cast<int64_t>(p.storage().nbytes());
    for (size_t b = 0; b < bytes.size(); ++b) full += bytes[b];
    for (size_t b = pipe.first_block(); b < pipe.end_block(); ++b) mine += bytes[b];
    const int64_t tied = c.rank() == 1 ? bytes[0] : 0;  // the head reads the embedding
    const int64_t params = static_cast<int64_t>(m->parameters().size()) * 4;  // one element per dropped one
    const bool ok = resident >= mine + tied && resident <= mine + tied + params && mine < full;
    if (!ok) std::fprintf(stderr, "rank %d: resident %lld, stage %lld, tied %lld, full %lld\n", c.rank(),
                          (long long)resident, (long long)mine, (long long)tied, (long long)full);
    return ok;
  }));
}

TEST_CASE("pipeline: 1F1B holds at most S - r micro-batches' activations, GPipe all M, the same gradients") {
  for (int stages : {2, 3}) {
    CAPTURE(stages);
    CHECK(on_ranks(stages, [stages](Communicator& c) {
      const Config cfg = config_of(Arch::Gpt, {{"layers", int64_t(4)}, {"width", int64_t(32)}, {"heads", int64_t(2)},
                                               {"seq_len", int64_t(16)}, {"vocab", int64_t(64)}});
      torch::manual_seed(1);
      std::vector<torch::Tensor> inputs, targets;
      const size_t micro = 8;
      for (size_t k = 0; k < micro; ++k) {
        inputs.push_back(torch::randint(64, {2, 16}));
        targets.push_back(torch::randint(64, {2, 16}));
      }
      const std::vector<double> scale(micro, 1.0 / micro);
      std::vector<std::vector<torch::Tensor>> grads;
      std::vector<int64_t> peak;
      double losses[2] = {0, 0};
      for (PipeSchedule s : {PipeSchedule::GPipe, PipeSchedule::OneFOneB}) {
        torch::manual_seed(0);
        auto m = build_model(Arch::Gpt, cfg, "");
        const auto cuts = balance_stages(std::vector<double>(m->size(), 1.0), static_cast<size_t>(stages));
        Pipeline pipe(m, c, cuts, s);
        losses[grads.size()] = pipe.run(inputs, targets, scale, true).item<double>();
        std::vector<torch::Tensor> g;
        for (auto& p : pipe.params()) g.push_back(p.grad().clone());
        grads.push_back(g);
        peak.push_back(pipe.peak_in_flight());
      }
      bool ok = peak[0] == static_cast<int64_t>(micro) && peak[1] == stages - c.rank();
      for (size_t i = 0; i < grads[0].size(); ++i) ok = ok && torch::allclose(grads[0][i], grads[1][i], 1e-5, 1e-7);
      ok = ok && std::abs(losses[0] - losses[1]) <= 1e-6 * std::abs(losses[0]);
      if (!ok)
        std::fprintf(stderr, "rank %d: in flight gpipe %lld, 1f1b %lld; loss %g vs %g\n", c.rank(), (long long)peak[0],
                     (long long)peak[1], losses[0], losses[1]);
      return ok;
    }));
  }
}
