// Shared-memory collectives for the ranks of one job on one host (a job
// never spans nodes), on CPU tensors.
//
// Rendezvous: rank 0 creates a POSIX shared-memory segment under a fresh
// name, publishes the name in a c10d FileStore at the rendezvous path (as
// the NCCL backend does its unique id), every rank maps it and records its
// pid, and after one barrier rank 0 unlinks the name: the memory lives as
// long as a rank maps it and nothing is left in /dev/shm.
//
// Segment: a header (barrier, per-rank doorbells and pids), one collective
// slot per rank and one outbox per rank, each kSlot bytes. Large tensors go
// through in chunks of a slot. Every collective is deterministic: sums run
// in rank order, so all ranks get bit-identical results on every run. A rank
// waits by spinning briefly, then on a futex in 50 ms slices; each slice
// checks the deadline (CommOptions::timeout_s) and that every peer process
// is alive, so a dead peer makes the call throw instead of hanging.
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <torch/csrc/distributed/c10d/FileStore.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>

#include "core/error.h"
#include "train/comm/comm.h"

namespace saturn::train {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kMagic = 0x73617475726e3031;  // "saturn01"
constexpr int64_t kSlot = 4 << 20;                 // bytes per slot and outbox
constexpr int kMaxRanks = 256;

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorKind::TempFail, "shm: " + what); }

struct alignas(64) Padded {
  std::atomic<uint32_t> v{0};
};

struct Outbox {
  std::atomic<uint32_t> written{0};  // chunks the owner has put here
  std::atomic<uint32_t> taken{0};    // chunks its receiver has copied out
  std::atomic<int32_t> dst{-1};      // the receiver of the chunk in flight
  std::atomic<uint32_t> bytes{0};    // bytes in the chunk in flight
};

struct Header {
  uint64_t magic;
  int32_t world;
  int64_t slot;
  std::atomic<uint32_t> arrived{0};  // barrier: ranks in the current round
  Padded round;                      // barrier: completed rounds (futex word)
  Padded bell[kMaxRanks];            // bumped when something rank r waits on changes (futex word)
  std::atomic<int32_t> pid[kMaxRanks];
  Outbox out[kMaxRanks];
};

int64_t header_bytes() { return (static_cast<int64_t>(sizeof(Header)) + 4095) / 4096 * 4096; }

void futex_wait(std::atomic<uint32_t>& word, uint32_t seen, long ns) {
  timespec ts{0, ns};
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT, seen, &ts, nullptr, 0);
}
void futex_wake_all(std::atomic<uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);
}

// A process that exited, including one its parent has not reaped yet.
bool gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  FILE* f = std::fopen(path, "r");
  if (!f) return false;
  char buf[512];
  const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char* close = std::strrchr(buf, ')');  // the command name may hold spaces
  return close && close[1] == ' ' && (close[2] == 'Z' || close[2] == 'X');
}

torch::Tensor bytes_view(void* p, int64_t n) { return torch::from_blob(p, {n}, torch::kUInt8); }

class ShmCommunicator : public Communicator {
 public:
  explicit ShmCommunicator(const CommOptions& o)
      : rank_(o.rank), world_(o.world),
        timeout_(std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000))) {
    if (world_ < 1 || world_ > kMaxRanks || rank_ < 0 || rank_ >= world_)
      throw internal_error("shm: rank " + std::to_string(rank_) + " of " + std::to_string(world_));
    auto store = c10::make_intrusive<c10d::FileStore>(o.rendezvous, world_);
    store->setTimeout(timeout_);
    bytes_ = header_bytes() + 2 * world_ * kSlot;
    const std::string key = "saturn/shm-name";
    if (rank_ == 0) {
      std::random_device rd;
      name_ = "/saturn-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
      const int fd = ::shm_open(name_.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
      if (fd < 0) fail("shm_open " + name_ + ": " + std::strerror(errno));
      const bool sized = ::ftruncate(fd, bytes_) == 0;
      const int err = errno;
      if (sized) map(fd);
      ::close(fd);
      if (!sized) {
        ::shm_unlink(name_.c_str());
        fail("cannot size " + name_ + " to " + std::to_string(bytes_) + " bytes: " + std::strerror(err));
      }
      h_ = new (base_) Header();
      h_->magic = kMagic;
      h_->world = world_;
      h_->slot = kSlot;
      store->set(key, std::vector<uint8_t>(name_.begin(), name_.end()));
    } else {
      auto v = store->get(key);
      name_.assign(v.begin(), v.end());
      const int fd = ::shm_open(name_.c_str(), O_RDWR, 0600);
      if (fd < 0) fail("shm_open " + name_ + ": " + std::strerror(errno));
      map(fd);
      ::close(fd);
      h_ = reinterpret_cast<Header*>(base_);
      if (h_->magic != kMagic || h_->world != world_ || h_->slot != kSlot)
        fail(name_ + " is not this job's segment (world " + std::to_string(h_->world) + ")");
    }
    h_->pid[rank_].store(::getpid());
    barrier();
    if (rank_ == 0) ::shm_unlink(name_.c_str());
  }
  ~ShmCommunicator() override {
    if (base_) ::munmap(base_, static_cast<size_t>(bytes_));
  }

  int rank() const override { return rank_; }
  int world() const override { return world_; }

  void barrier() override {
    const uint32_t round = h_->round.v.load(std::memory_order_acquire);
    if (h_->arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == static_cast<uint32_t>(world_)) {
      h_->arrived.store(0, std::memory_order_relaxed);
      h_->round.v.store(round + 1, std::memory_order_release);
      futex_wake_all(h_->round.v);
      return;
    }
    wait(h_->round.v, "barrier", [&] { return h_->round.v.load(std::memory_order_acquire) != round; });
  }

  void all_reduce(torch::Tensor& t) override {
    auto c = cpu_contiguous(t, "all_reduce");
    const int64_t es = c.element_size(), per = kSlot / es, n = c.numel();
    auto flat = c.view({-1});
    for (int64_t off = 0; off < n; off += per) {
      const int64_t m = std::min(per, n - off);
      mine(flat.slice(0, off, off + m));
      barrier();
      // Rank r sums part r of every slot, in rank order, into slot 0's part r.
      const int64_t part = (m + world_ - 1) / world_, lo = std::min(m, rank_ * part), hi = std::min(m, lo + part);
      if (hi > lo) {  // in place: only this rank touches part r of slot 0 now
        auto sum = slot(0, c).slice(0, lo, hi);
        for (int q = 1; q < world_; ++q) sum.add_(slot(q, c).slice(0, lo, hi));
      }
      barrier();
      flat.slice(0, off, off + m).copy_(slot(0, c).slice(0, 0, m));
      barrier();
    }
    if (!c.is_same(t)) t.copy_(c.view_as(t));
  }

  void all_gather(const torch::Tensor& in, torch::Tensor& out) override {
    auto src = cpu_contiguous(in, "all_gather").view({-1});
    if (out.numel() != in.numel() * world_) throw internal_error("shm: all_gather output size mismatch");
    auto dst = cpu_contiguous(out, "all_gather");
    auto rows = dst.view({world_, -1});
    const int64_t per = kSlot / src.element_size(), n = src.numel();
    for (int64_t off = 0; off < n; off += per) {
      const int64_t m = std::min(per, n - off);
      mine(src.slice(0, off, off + m));
      barrier();
      for (int q = 0; q < world_; ++q) rows[q].slice(0, off, off + m).copy_(slot(q, src).slice(0, 0, m));
      barrier();
    }
    if (!dst.is_same(out)) out.copy_(dst.view_as(out));
  }

  void reduce_scatter(const torch::Tensor& in, torch::Tensor& out) override {
    if (in.numel() != out.numel() * world_) throw internal_error("shm: reduce_scatter input size mismatch");
    auto parts = cpu_contiguous(in, "reduce_scatter").view({world_, -1});
    auto dst = cpu_contiguous(out, "reduce_scatter").view({-1});
    const int64_t per = kSlot / parts.element_size() / world_, n = dst.numel();
    for (int64_t off = 0; off < n; off += per) {
      const int64_t m = std::min(per, n - off);
      // Slot r holds, for every destination j, this rank's chunk of part j.
      slot(rank_, parts).slice(0, 0, world_ * m).view({world_, m}).copy_(parts.slice(1, off, off + m));
      barrier();
      auto mine_of = [&](int q) { return slot(q, parts).slice(0, rank_ * m, (rank_ + 1) * m); };
      auto sum = dst.slice(0, off, off + m);
      sum.copy_(mine_of(0));
      for (int q = 1; q < world_; ++q) sum.add_(mine_of(q));
      barrier();
    }
    if (!dst.is_same(out)) out.copy_(dst.view_as(out));
  }

  void broadcast(torch::Tensor& t, int root) override {
    auto c = cpu_contiguous(t, "broadcast");
    auto flat = c.view({-1});
    const int64_t per = kSlot / c.element_size(), n = c.numel();
    for (int64_t off = 0; off < n; off += per) {
      const int64_t m = std::min(per, n - off);
      if (rank_ == root) mine(flat.slice(0, off, off + m));
      barrier();
      if (rank_ != root) flat.slice(0, off, off + m).copy_(slot(root, c).slice(0, 0, m));
      barrier();
    }
    if (!c.is_same(t)) t.copy_(c.view_as(t));
  }

  void send(const torch::Tensor& t, int dst) override { exchange(&t, dst, nullptr, -1, "send"); }
  void recv(torch::Tensor& t, int src) override { exchange(nullptr, -1, &t, src, "recv"); }
  void send_recv(const torch::Tensor& out, int dst, torch::Tensor& in, int src) override {
    exchange(&out, dst, &in, src, "send_recv");
  }

 private:
  void map(int fd) {
    void* p = ::mmap(nullptr, static_cast<size_t>(bytes_), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) fail("mmap " + name_ + ": " + std::strerror(errno));
    base_ = static_cast<char*>(p);
  }
  char* slot_ptr(int q) const { return base_ + header_bytes() + static_cast<int64_t>(q) * kSlot; }
  char* outbox_ptr(int q) const { return base_ + header_bytes() + static_cast<int64_t>(world_ + q) * kSlot; }
  // Slot q as a flat tensor of `like`'s dtype.
  torch::Tensor slot(int q, const torch::Tensor& like) const {
    return torch::from_blob(slot_ptr(q), {kSlot / like.element_size()}, like.options());
  }
  void mine(const torch::Tensor& chunk) { slot(rank_, chunk).slice(0, 0, chunk.numel()).copy_(chunk); }

  torch::Tensor cpu_contiguous(const torch::Tensor& t, const char* op) const {
    if (!t.device().is_cpu())
      throw internal_error(std::string("shm ") + op + ": the tensor must be on the cpu, it is on " + t.device().str());
    return t.is_contiguous() ? t : t.contiguous();
  }

  // Point-to-point through outboxes: this rank's chunks go into its own
  // outbox for `dst`; `src`'s chunks are read from src's outbox. Both
  // directions advance chunk by chunk, so two ranks exchanging with each
  // other never wait on each other.
  void exchange(const torch::Tensor* out, int dst, torch::Tensor* in, int src, const char* op) {
    torch::Tensor send_c, send_bytes, recv_c, recv_bytes;
    int64_t sent = 0, got = 0, send_n = 0, recv_n = 0;
    if (out) {
      send_c = cpu_contiguous(*out, op);
      send_bytes = bytes_view(send_c.data_ptr(), out->numel() * out->element_size());
      send_n = send_bytes.numel();
    }
    if (in) {
      recv_c = cpu_contiguous(*in, op);
      recv_bytes = bytes_view(recv_c.data_ptr(), in->numel() * in->element_size());
      recv_n = recv_bytes.numel();
    }
    Outbox& mybox = h_->out[rank_];
    bool my_chunk_out = false;  // a chunk of ours waits in our outbox
    while (sent < send_n || got < recv_n || my_chunk_out) {
      const uint32_t bell = h_->bell[rank_].v.load(std::memory_order_acquire);
      bool progress = false;
      if (my_chunk_out && mybox.taken.load(std::memory_order_acquire) == mybox.written.load(std::memory_order_relaxed)) {
        my_chunk_out = false;
        progress = true;
      }
      if (!my_chunk_out && sent < send_n) {
        const int64_t m = std::min<int64_t>(kSlot, send_n - sent);
        bytes_view(outbox_ptr(rank_), m).copy_(send_bytes.slice(0, sent, sent + m));
        mybox.dst.store(dst, std::memory_order_relaxed);
        mybox.bytes.store(static_cast<uint32_t>(m), std::memory_order_relaxed);
        mybox.written.fetch_add(1, std::memory_order_release);
        ring(dst);
        sent += m;
        my_chunk_out = true;
        progress = true;
      }
      if (got < recv_n) {
        Outbox& theirs = h_->out[src];
        if (theirs.written.load(std::memory_order_acquire) != theirs.taken.load(std::memory_order_relaxed) &&
            theirs.dst.load(std::memory_order_relaxed) == rank_) {
          const int64_t m = theirs.bytes.load(std::memory_order_relaxed);
          if (m > recv_n - got) fail(std::string(op) + ": rank " + std::to_string(src) + " sent more than expected");
          recv_bytes.slice(0, got, got + m).copy_(bytes_view(outbox_ptr(src), m));
          theirs.taken.fetch_add(1, std::memory_order_release);
          ring(src);
          got += m;
          progress = true;
        }
      }
      if (!progress) wait(h_->bell[rank_].v, op, [&] { return h_->bell[rank_].v.load(std::memory_order_acquire) != bell; });
    }
    if (in && !recv_c.is_same(*in)) in->copy_(recv_c.view_as(*in));
  }

  void ring(int q) {
    h_->bell[q].v.fetch_add(1, std::memory_order_release);
    futex_wake_all(h_->bell[q].v);
  }

  // Waits for `done` on futex `word`: spins a little, then sleeps in slices,
  // checking the deadline and that the peers still live.
  template <class Done>
  void wait(std::atomic<uint32_t>& word, const char* op, Done done) {
    for (int i = 0; i < 2000; ++i) {
      if (done()) return;
      if (i > 100) ::sched_yield();
    }
    const auto start = Clock::now();
    for (;;) {
      const uint32_t seen = word.load(std::memory_order_acquire);
      if (done()) return;
      futex_wait(word, seen, 50'000'000);
      if (done()) return;
      for (int q = 0; q < world_; ++q) {
        const pid_t p = h_->pid[q].load(std::memory_order_relaxed);
        if (q != rank_ && p > 0 && gone(p))
          fail(std::string(op) + ": rank " + std::to_string(q) + " (pid " + std::to_string(p) + ") is gone (rank " +
               std::to_string(rank_) + " of " + std::to_string(world_) + ")");
      }
      if (Clock::now() - start > timeout_)
        fail(std::string(op) + ": timed out after " + std::to_string(timeout_.count() / 1000) + " s (rank " +
             std::to_string(rank_) + " of " + std::to_string(world_) + ")");
    }
  }

  int rank_, world_;
  std::chrono::milliseconds timeout_;
  std::string name_;
  int64_t bytes_ = 0;
  char* base_ = nullptr;
  Header* h_ = nullptr;
};

}  // namespace

std::unique_ptr<Communicator> connect_shm(const CommOptions& o) {
  return std::make_unique<ShmCommunicator>(o);
}

}  // namespace saturn::train
