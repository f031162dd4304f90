#include "train/precision.h"

#include <ATen/autocast_mode.h>

namespace saturn::train {
namespace {

// The device-type autocast API (LibTorch >= 2.4).
at::DeviceType type(bool cuda) { return cuda ? at::kCUDA : at::kCPU; }
bool enabled(bool cuda) { return at::autocast::is_autocast_enabled(type(cuda)); }
void set_enabled(bool cuda, bool on) { at::autocast::set_autocast_enabled(type(cuda), on); }
at::ScalarType dtype(bool cuda) { return at::autocast::get_autocast_dtype(type(cuda)); }
void set_dtype(bool cuda, at::ScalarType t) { at::autocast::set_autocast_dtype(type(cuda), t); }

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
