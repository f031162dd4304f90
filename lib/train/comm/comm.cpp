#include "train/comm/comm.h"

#include "core/error.h"

namespace saturn::train {

std::unique_ptr<Communicator> connect(const CommOptions& o) {
  if (o.backend == "shm") return connect_shm(o);
  if (o.backend == "nccl") return connect_nccl(o);
  throw Error(ErrorKind::Usage, "unknown communication backend \"" + o.backend + "\" (shm or nccl)");
}

#ifndef SATURN_WITH_NCCL
std::unique_ptr<Communicator> connect_nccl(const CommOptions&) {
  throw Error(ErrorKind::Unavailable, "this saturn was built without NCCL (its LibTorch has no CUDA, or NCCL was not found at build time)");
}
#endif

}  // namespace saturn::train
