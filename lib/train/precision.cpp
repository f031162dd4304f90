#include "train/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace saturn::train {
namespace {

// LibTorch 2.4 replaced the per-backend functions with ones taking a device
// type; 1.13 (Debian) only has the old ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool enabled(bool cuda) { return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU); }
void set_enabled(bool cuda, bool on) { at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, on); }
at::ScalarType dtype(bool cuda) { return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU); }
void set_dtype(bool cuda, at::ScalarType t) { at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, t); }
#else
bool enabled(bool cuda) { return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
void set_enabled(bool cuda, bool on) {
  if (cuda)
    at::autocast::set_enabled(on);
  else
    at::autocast::set_cpu_enabled(on);
}
at::ScalarType dtype(bool cuda) {
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void set_dtype(bool cuda, at::ScalarType t) {
  if (cuda)
    at::autocast::set_autocast_gpu_dtype(t);
  else
    at::autocast::set_autocast_cpu_dtype(t);
}
#endif

}  // namespace

bool uses_bf16(const torch::Device& device, Precision p) {
  if (p == Precision::Auto) return device.is_cuda();
  return p == Precision::Bf16;
}

AutocastScope::AutocastScope(const torch::Device& device, bool on) : on_(on), cuda_(device.is_cuda()) {
  if (!on_) return;
  was_enabled_ = enabled(cuda_);
  was_dtype_ = dtype(cuda_);
  set_dtype(cuda_, at::kBFloat16);
  set_enabled(cuda_, true);
}

AutocastScope::~AutocastScope() {
  if (!on_) return;
  set_enabled(cuda_, was_enabled_);
  set_dtype(cuda_, was_dtype_);
  if (!was_enabled_) at::autocast::clear_cache();
}

}  // namespace saturn::train
