// The CPU runtime a worker trains in: intra-op threads, the allocator kept
// warm, and denormal floats flushed to zero. A job whose loss reaches 0
// drives its gradients and Adam moments into the denormal range, where
// x86 arithmetic without flush-to-zero is several times slower (a measured
// MLP step went from 12 ms to 60 ms); values below 1.2e-38 change no
// training outcome, and resume stays bit-identical (every worker sets it).
#pragma once

namespace saturn::train {

// Sets the process's CPU runtime for `threads` intra-op threads (at least 1).
void configure_cpu_runtime(int threads);

}  // namespace saturn::train
