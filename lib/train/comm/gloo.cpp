// Gloo through c10d::ProcessGroupGloo.
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include "core/error.h"
#include "train/comm/comm.h"

namespace saturn::train {
namespace {

class GlooCommunicator : public Communicator {
 public:
  explicit GlooCommunicator(const CommOptions& o) : rank_(o.rank), world_(o.world) {
    auto store = c10::make_intrusive<c10d::FileStore>(o.rendezvous, o.world);
    auto opts = c10d::ProcessGroupGloo::Options::create();
    opts->timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
    opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    pg_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store, o.rank, o.world, opts);
  }
  int rank() const override { return rank_; }
  int world() const override { return world_; }

  void all_reduce(torch::Tensor& t) override {
    std::vector<at::Tensor> v{t};
    pg_->allreduce(v)->wait();
  }
  void all_gather(const torch::Tensor& in, torch::Tensor& out) override {
    auto rows = out.view({world_, -1});
    std::vector<at::Tensor> parts;
    for (int r = 0; r < world_; ++r) parts.push_back(rows[r].view(in.sizes()));
    std::vector<std::vector<at::Tensor>> outs{parts};
    std::vector<at::Tensor> ins{in};
    pg_->allgather(outs, ins)->wait();
  }
  void reduce_scatter(const torch::Tensor& in, torch::Tensor& out) override {
    // Gloo has no reduce-scatter in c10d: an all-to-all moves chunk j of every
    // rank to rank j (the same traffic), which then sums what it received.
    auto received = torch::empty_like(in);
    std::vector<int64_t> splits(static_cast<size_t>(world_), in.numel() / world_);
    auto in_c = in.contiguous();
    pg_->alltoall_base(received, in_c, splits, splits)->wait();
    out.copy_(received.view({world_, -1}).sum(0).view_as(out));
  }
  void broadcast(torch::Tensor& t, int root) override {
    std::vector<at::Tensor> v{t};
    c10d::BroadcastOptions bo;
    bo.rootRank = root;
    pg_->broadcast(v, bo)->wait();
  }
  void send(const torch::Tensor& t, int dst) override {
    std::vector<at::Tensor> v{t.contiguous()};
    pg_->send(v, dst, 0)->wait();
  }
  void send_recv(const torch::Tensor& out, int dst, torch::Tensor& in, int src) override {
    std::vector<at::Tensor> o{out.contiguous()}, i{in};
    auto sent = pg_->send(o, dst, 0);
    auto got = pg_->recv(i, src, 0);
    sent->wait();
    got->wait();
  }
  void recv(torch::Tensor& t, int src) override {
    std::vector<at::Tensor> v{t};
    pg_->recv(v, src, 0)->wait();
  }
  void barrier() override { pg_->barrier()->wait(); }

 private:
  int rank_, world_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg_;
};

}  // namespace

std::unique_ptr<Communicator> connect_gloo(const CommOptions& o) {
  try {
    return std::make_unique<GlooCommunicator>(o);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    throw Error(ErrorKind::Unavailable, "gloo: rank " + std::to_string(o.rank) + " of " + std::to_string(o.world) +
                                            " could not join through " + o.rendezvous + ": " +
                                            what.substr(0, what.find('\n')));
  }
}

}  // namespace saturn::train
