#include "train/cpu_runtime.h"

#include <malloc.h>

#include <torch/torch.h>

#include <algorithm>

namespace saturn::train {

void configure_cpu_runtime(int threads) {
  torch::set_num_threads(std::max(threads, 1));
  // LibTorch's CPU allocator is malloc: keep freed tensors (up to 32 MiB,
  // glibc's largest mmap threshold) in the heap for the next step instead
  // of returning them to the kernel and faulting their pages in again.
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
  at::globalContext().setFlushDenormal(true);
}

}  // namespace saturn::train
