#include "train/models/decode.h"

namespace saturn::train {

void append_kv(KvCache& cache, const torch::Tensor& k, const torch::Tensor& v) {
  cache.k = cache.k.defined() ? torch::cat({cache.k, k}, 2) : k;
  cache.v = cache.v.defined() ? torch::cat({cache.v, v}, 2) : v;
}

torch::Tensor attend_cached(const torch::Tensor& q, const KvCache& cache, const torch::Tensor& attend) {
  auto k = cache.k, v = cache.v;
  const int64_t heads = q.size(1), kv = k.size(1);
  if (kv != heads) {
    k = k.repeat_interleave(heads / kv, 1);
    v = v.repeat_interleave(heads / kv, 1);
  }
  return at::scaled_dot_product_attention(q, k, v, attend, 0.0, /*is_causal=*/false);
}

}  // namespace saturn::train
