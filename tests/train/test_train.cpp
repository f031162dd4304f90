// Torch unit tests: model shapes and sizes, sampling, schedules, collectives.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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
  spec.train.path = SATURN_SOURCE_DIR "/workloads/data/corpus.txt";
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

namespace {
// Runs `body(comm)` on `world` forked ranks; returns true when all exit 0.
std::vector<pid_t> last_ranks;  // the pids of on_ranks' last ranks

bool on_ranks(int world, const std::function<bool(Communicator&)>& body) {
  const std::string store = "/tmp/saturn-test-store-" + std::to_string(::getpid());
  std::filesystem::remove(store);
  std::vector<pid_t> pids;
  for (int r = 0; r < world; ++r) {
    pid_t pid = ::fork();
    if (pid == 0) {
      // The parent's OpenMP thread pool does not survive fork(): one thread.
      torch::set_num_threads(1);
      int code = 1;
      try {
        auto comm = connect({store, r, world, "shm", 60});
        code = body(*comm) ? 0 : 1;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "rank %d: %s\n", r, e.what());
        code = 2;
      }
      ::_exit(code);
    }
    pids.push_back(pid);
  }
  last_ranks = pids;
  bool ok = true;
  for (pid_t p : pids) {
    int status = 0;
    ::waitpid(p, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  std::filesystem::remove(store);
  return ok;
}
}  // namespace

TEST_CASE("shm collectives on 3 forked ranks") {
  CHECK(on_ranks(3, [](Communicator& c) {
    const double r = c.rank();
    auto t = torch::full({4}, r + 1, torch::kFloat);
    c.all_reduce(t);  // 1 + 2 + 3
    bool ok = torch::allclose(t, torch::full({4}, 6.0f));
    if (!ok) std::fprintf(stderr, "all_reduce\n");
    auto g = torch::empty({3, 2});
    c.all_gather(torch::full({2}, r), g);
    ok = ok && torch::allclose(g, torch::tensor({0.f, 0.f, 1.f, 1.f, 2.f, 2.f}).view({3, 2}));
    if (!ok) std::fprintf(stderr, "all_gather\n");
    auto in = torch::arange(6, torch::kFloat) + 10 * r;  // rank r holds [10r .. 10r+5]
    auto out = torch::empty({2});
    c.reduce_scatter(in, out);  // chunk k summed over ranks: 3*(2k, 2k+1) + 30
    ok = ok && torch::allclose(out, torch::tensor({6.f * r + 30, 6.f * r + 33}));
    if (!ok) std::fprintf(stderr, "reduce_scatter\n");
    auto b = torch::full({3}, r);
    c.broadcast(b, 2);
    ok = ok && torch::allclose(b, torch::full({3}, 2.0f));
    if (c.rank() == 0) c.send(torch::tensor({42.f}), 1);
    if (c.rank() == 1) {
      auto x = torch::empty({1});
      c.recv(x, 0);
      ok = ok && x.item<float>() == 42.f;
    }
    c.barrier();
    return ok;
  }));
}

// Tensors larger than one shared-memory slot (4 MiB) go through in chunks:
// 3 ranks, 3.5M float elements (14 MB), doubles, bf16 and a strided view.
TEST_CASE("shm collectives: multi-chunk tensors, dtypes, strided views, exchanges in a ring") {
  CHECK(on_ranks(3, [](Communicator& c) {
    const int r = c.rank(), w = c.world();
    bool ok = true;
    auto expect = [&](bool cond, const char* what) {
      if (!cond) std::fprintf(stderr, "rank %d: %s\n", r, what);
      ok = ok && cond;
    };
    const int64_t n = 3'500'000;
    auto t = torch::arange(n, torch::kFloat) * (r + 1);  // sum over ranks: 6 * i
    c.all_reduce(t);
    expect(torch::equal(t, torch::arange(n, torch::kFloat) * 6), "all_reduce float, 4 chunks");
    auto d = torch::full({1'000'001}, 0.5 + r, torch::kDouble);
    c.all_reduce(d);
    expect(torch::allclose(d, torch::full({1'000'001}, 4.5, torch::kDouble)), "all_reduce double");
    auto h = torch::full({7}, 1.0 + r, torch::kBFloat16);
    c.all_reduce(h);
    expect(torch::equal(h, torch::full({7}, 6.0, torch::kBFloat16)), "all_reduce bf16");
    auto m = torch::zeros({4, 6});
    auto col = m.select(1, 2);  // strided: every 6th element
    col.fill_(r + 1);
    c.all_reduce(col);
    expect(torch::equal(m.select(1, 2), torch::full({4}, 6.0f)) && m.sum().item<float>() == 24, "all_reduce strided view");
    auto g = torch::empty({w * 2'000'000});
    c.all_gather(torch::full({2'000'000}, float(r)), g);
    bool gathered = true;
    for (int q = 0; q < w; ++q) gathered = gathered && torch::equal(g.slice(0, q * 2'000'000, (q + 1) * 2'000'000), torch::full({2'000'000}, float(q)));
    expect(gathered, "all_gather, 2 chunks");
    const int64_t part = 1'500'000;
    auto in = torch::arange(w * part, torch::kFloat).remainder(1000) + r;  // summed: 3 * v + 3
    auto out = torch::empty({part});
    c.reduce_scatter(in, out);
    auto want = (torch::arange(w * part, torch::kFloat).remainder(1000) * 3 + 3).slice(0, r * part, (r + 1) * part);
    expect(torch::equal(out, want), "reduce_scatter, 4 chunks");
    auto b = torch::full({2'500'000}, float(r));
    c.broadcast(b, 1);
    expect(torch::equal(b, torch::full({2'500'000}, 1.0f)), "broadcast, 3 chunks");
    // Everyone sends to the next rank and receives from the previous at once.
    auto mine = torch::full({1'300'000}, float(r));
    auto theirs = torch::empty({1'300'000});
    c.send_recv(mine, (r + 1) % w, theirs, (r + w - 1) % w);
    expect(torch::equal(theirs, torch::full({1'300'000}, float((r + w - 1) % w))), "send_recv ring, 2 chunks");
    c.barrier();
    return ok;
  }));
}

TEST_CASE("shm: sums run in rank order, so every rank and every run gets the same bits") {
  auto sums = std::make_shared<std::vector<float>>();
  for (int run = 0; run < 2; ++run)
    CHECK(on_ranks(3, [](Communicator& c) {
      torch::manual_seed(c.rank());
      auto t = torch::randn({100'000});
      auto ref = t.clone();
      c.all_reduce(t);
      // Every rank checks its result against the sum in rank order.
      std::vector<torch::Tensor> all(3);
      for (int q = 0; q < 3; ++q) {
        torch::manual_seed(q);
        all[q] = torch::randn({100'000});
      }
      auto want = all[0].clone();
      want.add_(all[1]).add_(all[2]);
      return torch::equal(t, want);
    }));
}

TEST_CASE("shm: a peer that exits makes the others fail within a second, not at the timeout") {
  const auto start = std::chrono::steady_clock::now();
  const std::string store = "/tmp/saturn-test-store-dead-" + std::to_string(::getpid());
  std::filesystem::remove(store);
  std::vector<pid_t> pids;
  for (int r = 0; r < 3; ++r) {
    pid_t pid = ::fork();
    if (pid == 0) {
      // The parent's OpenMP thread pool does not survive fork(): one thread.
      torch::set_num_threads(1);
      int code = 1;
      try {
        auto comm = connect({store, r, 3, "shm", 60});
        if (r == 2) ::_exit(0);  // gone without joining the collective
        auto t = torch::ones({8});
        comm->all_reduce(t);
        code = 3;  // must not get here
      } catch (const Error& e) {
        const std::string what = e.what();
        // Rank 2, or a rank that saw rank 2 go and went itself.
        code = e.kind() == ErrorKind::TempFail && what.find(") is gone (rank ") != std::string::npos ? 0 : 4;
        if (code) std::fprintf(stderr, "rank %d: %s\n", r, e.what());
      }
      ::_exit(code);
    }
    pids.push_back(pid);
  }
  for (pid_t p : pids) {
    int status = 0;
    ::waitpid(p, &status, 0);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  std::filesystem::remove(store);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("shm: nothing is left in /dev/shm once the ranks have joined") {
  CHECK(on_ranks(2, [](Communicator& c) {
    c.barrier();
    return true;
  }));
  REQUIRE(last_ranks.size() == 2);
  const std::string prefix = "saturn-" + std::to_string(last_ranks[0]) + "-";  // rank 0 names the segment
  for (const auto& e : std::filesystem::directory_iterator("/dev/shm"))
    CHECK(e.path().filename().string().rfind(prefix, 0) != 0);
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
