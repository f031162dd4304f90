#include "train/comm/comm.h"

#include "core/error.h"

namespace saturn::train {

std::unique_ptr<Communicator> connect(const CommOptions& o) {
  auto* make = o.backend == "shm" ? connect_shm : o.backend == "nccl" ? connect_nccl : nullptr;
  if (!make) throw Error(ErrorKind::Usage, "unknown communication backend \"" + o.backend + "\" (shm or nccl)");
  try {
    return make(o);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // c10::Error from the store, ...
    const std::string what = e.what();
    throw Error(ErrorKind::Unavailable, o.backend + ": rank " + std::to_string(o.rank) + " of " +
                                            std::to_string(o.world) + " could not join through " + o.rendezvous +
                                            ": " + what.substr(0, what.find('\n')));
  }
}

#ifndef SATURN_WITH_NCCL
std::unique_ptr<Communicator> connect_nccl(const CommOptions&) {
  throw Error(ErrorKind::Unavailable, "this saturn was built without NCCL (its LibTorch has no CUDA, or NCCL was not found at build time)");
}
#endif

}  // namespace saturn::train
