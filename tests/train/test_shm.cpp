// The shared-memory communicator on forked ranks: collectives, bit-identical
// sums in rank order, peers that exit or hang, nothing left in /dev/shm.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "train/comm/comm.h"
#include "ranks.h"

using namespace saturn;
using namespace saturn::train;

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

TEST_CASE("shm: a peer that hangs (alive, stopped) makes the others fail at the timeout, exit 75, not wait forever") {
  const auto start = std::chrono::steady_clock::now();
  const std::string store = "/tmp/saturn-test-store-hung-" + std::to_string(::getpid());
  std::filesystem::remove(store);
  std::vector<pid_t> pids;
  for (int r = 0; r < 2; ++r) {
    pid_t pid = ::fork();
    if (pid == 0) {
      torch::set_num_threads(1);
      int code = 1;
      try {
        auto comm = connect({store, r, 2, "shm", 2});  // a 2 s timeout
        if (r == 1) ::raise(SIGSTOP);                    // hangs where a collective is due
        auto t = torch::ones({8});
        comm->all_reduce(t);
        code = 3;  // must not get here
      } catch (const Error& e) {
        const std::string what = e.what();
        code = e.exit_code() == 75 && what.find("timed out") != std::string::npos ? 0 : 4;
        if (code) std::fprintf(stderr, "rank %d: %s\n", r, e.what());
      }
      ::_exit(code);
    }
    pids.push_back(pid);
  }
  int status = 0;
  ::waitpid(pids[0], &status, 0);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  ::kill(pids[1], SIGKILL);
  ::waitpid(pids[1], &status, 0);
  std::filesystem::remove(store);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= std::chrono::seconds(2));
  CHECK(took < std::chrono::seconds(10));
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

