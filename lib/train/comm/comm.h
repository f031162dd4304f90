// Communicator: the collectives a job's ranks use (DDP, FSDP, pipelines), on
// tensors of the rank's device. Two implementations, both with a rendezvous
// through a c10d FileStore in the run directory: shared memory (shm.cpp: CPU
// tensors, the ranks of one job on one host) and NCCL through its C API
// (CUDA tensors; built when LibTorch has CUDA). Every call returns when its result is in the output tensor (NCCL:
// its stream has finished), or throws saturn::Error (TempFail) when a peer
// fails or the timeout passes. One communicator per rank; not thread safe.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

namespace saturn::train {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world() const = 0;

  virtual void all_reduce(torch::Tensor& t) = 0;                                  // sum, in place
  virtual void all_gather(const torch::Tensor& in, torch::Tensor& out) = 0;      // out: world * in elements, rank order
  virtual void reduce_scatter(const torch::Tensor& in, torch::Tensor& out) = 0;  // sum; in: world x out
  virtual void broadcast(torch::Tensor& t, int root) = 0;
  virtual void send(const torch::Tensor& t, int dst) = 0;
  virtual void recv(torch::Tensor& t, int src) = 0;
  // Sends `out` to dst while receiving `in` from src (both in flight at once,
  // so two ranks exchanging with each other cannot deadlock).
  virtual void send_recv(const torch::Tensor& out, int dst, torch::Tensor& in, int src) = 0;
  virtual void barrier() = 0;
};

struct CommOptions {
  std::string rendezvous;   // FileStore path, fresh for each launch, shared by the ranks
  int rank = 0;
  int world = 1;
  std::string backend = "shm";   // shm | nccl
  double timeout_s = 600;        // for rendezvous and every collective
  int device = 0;                // nccl: the rank's CUDA device ordinal
};

// Connects this rank to the others; throws saturn::Error (Unavailable) when
// the backend is not built in or the rendezvous fails.
std::unique_ptr<Communicator> connect(const CommOptions& o);

// The backends, called by connect() (which turns their other exceptions
// into saturn::Error with the rank and rendezvous).
std::unique_ptr<Communicator> connect_shm(const CommOptions& o);
std::unique_ptr<Communicator> connect_nccl(const CommOptions& o);  // Unavailable without NCCL

}  // namespace saturn::train
