// NCCL through its C API on CUDA tensors.
//
// Rendezvous: rank 0 makes the NCCL unique id and publishes it in the same
// FileStore the shm backend uses; the others read it. Work is enqueued on
// the current LibTorch CUDA stream of the rank's device, so it is ordered
// after the kernels that produced the tensor. Every call then waits for its
// stream with the communicator's timeout: the communicator is non-blocking,
// so a peer that died makes the call abort the communicator and throw
// instead of hanging forever. Built only against a LibTorch with CUDA.
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <c10/cuda/CUDAStream.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>

#include <chrono>
#include <cstring>
#include <thread>

#include "core/error.h"
#include "train/comm/comm.h"

namespace saturn::train {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorKind::TempFail, "nccl: " + what); }

void check_cuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess) fail(std::string(what) + ": " + cudaGetErrorString(e));
}

ncclDataType_t nccl_type(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat: return ncclFloat32;
    case torch::kDouble: return ncclFloat64;
    case torch::kHalf: return ncclFloat16;
    case torch::kBFloat16: return ncclBfloat16;
    case torch::kInt: return ncclInt32;
    case torch::kLong: return ncclInt64;
    case torch::kByte: return ncclUint8;
    case torch::kChar: return ncclInt8;
    default: throw internal_error("nccl: no NCCL type for tensor dtype " + std::string(c10::toString(t.scalar_type())));
  }
}

class NcclCommunicator : public Communicator {
 public:
  explicit NcclCommunicator(const CommOptions& o)
      : rank_(o.rank), world_(o.world), device_(o.device),
        timeout_(std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000))) {
    check_cuda(cudaSetDevice(device_), "cudaSetDevice");
    store_ = c10::make_intrusive<c10d::FileStore>(o.rendezvous, o.world);
    store_->setTimeout(timeout_);
    ncclUniqueId id;
    const std::string key = "saturn/nccl-unique-id";
    if (rank_ == 0) {
      check(ncclGetUniqueId(&id), "ncclGetUniqueId");
      const auto* p = reinterpret_cast<const uint8_t*>(&id);
      store_->set(key, std::vector<uint8_t>(p, p + sizeof id));
    } else {
      auto bytes = store_->get(key);
      if (bytes.size() != sizeof id) fail("the rendezvous holds a malformed unique id");
      std::memcpy(&id, bytes.data(), sizeof id);
    }
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    check(ncclCommInitRankConfig(&comm_, world_, id, rank_, &config), "ncclCommInitRankConfig");
    wait_comm("ncclCommInitRankConfig");
    check_cuda(cudaMalloc(&barrier_buf_, sizeof(float)), "cudaMalloc");
  }
  ~NcclCommunicator() override {
    if (comm_) ncclCommDestroy(comm_);
    if (barrier_buf_) cudaFree(barrier_buf_);
  }

  int rank() const override { return rank_; }
  int world() const override { return world_; }

  void all_reduce(torch::Tensor& t) override {
    on_device(t, "all_reduce");
    cudaStream_t s = stream();
    check(ncclAllReduce(t.data_ptr(), t.data_ptr(), t.numel(), nccl_type(t), ncclSum, comm_, s), "ncclAllReduce");
    finish(s, "all_reduce");
  }
  void all_gather(const torch::Tensor& in, torch::Tensor& out) override {
    on_device(in, "all_gather");
    on_device(out, "all_gather");
    if (out.numel() != in.numel() * world_) throw internal_error("nccl: all_gather output size mismatch");
    cudaStream_t s = stream();
    check(ncclAllGather(in.data_ptr(), out.data_ptr(), in.numel(), nccl_type(in), comm_, s), "ncclAllGather");
    finish(s, "all_gather");
  }
  void reduce_scatter(const torch::Tensor& in, torch::Tensor& out) override {
    on_device(in, "reduce_scatter");
    on_device(out, "reduce_scatter");
    if (in.numel() != out.numel() * world_) throw internal_error("nccl: reduce_scatter input size mismatch");
    cudaStream_t s = stream();
    check(ncclReduceScatter(in.data_ptr(), out.data_ptr(), out.numel(), nccl_type(in), ncclSum, comm_, s),
          "ncclReduceScatter");
    finish(s, "reduce_scatter");
  }
  void broadcast(torch::Tensor& t, int root) override {
    on_device(t, "broadcast");
    cudaStream_t s = stream();
    check(ncclBroadcast(t.data_ptr(), t.data_ptr(), t.numel(), nccl_type(t), root, comm_, s), "ncclBroadcast");
    finish(s, "broadcast");
  }
  void send(const torch::Tensor& t, int dst) override {
    on_device(t, "send");
    cudaStream_t s = stream();
    check(ncclSend(t.data_ptr(), t.numel(), nccl_type(t), dst, comm_, s), "ncclSend");
    finish(s, "send");
  }
  void recv(torch::Tensor& t, int src) override {
    on_device(t, "recv");
    cudaStream_t s = stream();
    check(ncclRecv(t.data_ptr(), t.numel(), nccl_type(t), src, comm_, s), "ncclRecv");
    finish(s, "recv");
  }
  void send_recv(const torch::Tensor& out, int dst, torch::Tensor& in, int src) override {
    on_device(out, "send_recv");
    on_device(in, "send_recv");
    cudaStream_t s = stream();
    check(ncclGroupStart(), "ncclGroupStart");
    check(ncclSend(out.data_ptr(), out.numel(), nccl_type(out), dst, comm_, s), "ncclSend");
    check(ncclRecv(in.data_ptr(), in.numel(), nccl_type(in), src, comm_, s), "ncclRecv");
    check(ncclGroupEnd(), "ncclGroupEnd");
    finish(s, "send_recv");
  }
  void barrier() override {
    cudaStream_t s = stream();
    check(ncclAllReduce(barrier_buf_, barrier_buf_, 1, ncclFloat32, ncclSum, comm_, s), "ncclAllReduce");
    finish(s, "barrier");
  }

 private:
  void check(ncclResult_t r, const char* what) {
    if (r == ncclSuccess || r == ncclInProgress) return;
    fail(std::string(what) + ": " + ncclGetErrorString(r) + " (rank " + std::to_string(rank_) + " of " +
         std::to_string(world_) + ")");
  }

  void on_device(const torch::Tensor& t, const char* op) const {
    if (!t.is_cuda() || t.get_device() != device_ || !t.is_contiguous())
      throw internal_error(std::string("nccl ") + op + ": the tensor must be contiguous on cuda:" +
                           std::to_string(device_) + ", it is on " + t.device().str());
  }

  cudaStream_t stream() {
    return c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device_)).stream();
  }

  // The communicator's own state: a non-blocking call may still be enqueuing.
  void wait_comm(const char* what) {
    const auto start = Clock::now();
    for (;;) {
      ncclResult_t r = ncclSuccess;
      ncclCommGetAsyncError(comm_, &r);
      if (r == ncclSuccess) return;
      if (r != ncclInProgress) abort_with(std::string(what) + ": " + ncclGetErrorString(r));
      if (Clock::now() - start > timeout_) abort_with(std::string(what) + ": timed out");
      std::this_thread::yield();
    }
  }

  // Waits for the stream with the timeout; a peer's failure aborts.
  void finish(cudaStream_t s, const char* what) {
    wait_comm(what);
    const auto start = Clock::now();
    for (int spins = 0;; ++spins) {
      cudaError_t e = cudaStreamQuery(s);
      if (e == cudaSuccess) return;
      if (e != cudaErrorNotReady) fail(std::string(what) + ": " + cudaGetErrorString(e));
      ncclResult_t r = ncclSuccess;
      ncclCommGetAsyncError(comm_, &r);
      if (r != ncclSuccess && r != ncclInProgress) abort_with(std::string(what) + ": " + ncclGetErrorString(r));
      if (Clock::now() - start > timeout_) abort_with(std::string(what) + ": timed out (a peer rank is gone?)");
      if (spins > 1000) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  [[noreturn]] void abort_with(const std::string& why) {
    ncclCommAbort(comm_);
    comm_ = nullptr;
    fail(why + " (rank " + std::to_string(rank_) + " of " + std::to_string(world_) + ")");
  }

  int rank_, world_, device_;
  std::chrono::milliseconds timeout_;
  c10::intrusive_ptr<c10d::FileStore> store_;
  ncclComm_t comm_ = nullptr;
  void* barrier_buf_ = nullptr;
};

}  // namespace

std::unique_ptr<Communicator> connect_nccl(const CommOptions& o) {
  if (!torch::cuda::is_available())
    throw Error(ErrorKind::Unavailable, "nccl: this saturn's LibTorch has no CUDA device to run on");
  return std::make_unique<NcclCommunicator>(o);
}

}  // namespace saturn::train
