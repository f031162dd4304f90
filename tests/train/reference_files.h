// Test helpers for the reference files the Python scripts under
// tests/train/hf write: a safetensors tensor as a torch tensor, and the test
// Python to run them with.
#pragma once

#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "core/safetensors.h"

namespace saturn::test {

// Tensor `name` of `f`: int64 and float64 as stored, anything else as float32.
inline torch::Tensor read_tensor(const SafetensorsFile& f, const std::string& name) {
  const StTensor& t = *f.find(name);
  if (t.dtype == StDtype::I64 || t.dtype == StDtype::F64) {
    auto out = torch::empty(t.shape, t.dtype == StDtype::I64 ? torch::kLong : torch::kDouble);
    std::memcpy(out.data_ptr(), f.bytes(t).data(), f.bytes(t).size());
    return out;
  }
  auto out = torch::empty(t.shape, torch::kFloat);
  f.read_f32(t, out.data_ptr<float>());
  return out;
}

// $SATURN_PYTHON (the test Python, which has the Hugging Face libraries), quoted; else python3.
inline std::string test_python() {
  const char* py = std::getenv("SATURN_PYTHON");
  return std::string("'") + (py && *py ? py : "python3") + "'";
}

}  // namespace saturn::test
