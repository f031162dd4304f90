// Test helpers for the reference files the Python scripts under
// tests/train/hf write: a safetensors tensor as a torch tensor, the test
// Python to run them with, and the fine-tune a reference's losses come from.
#pragma once

#include <catch2/catch.hpp>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/hyperparams.h"
#include "core/safetensors.h"
#include "train/models/block_model.h"
#include "train/optim.h"
#include "train/techniques/technique.h"
#include "source_dir.h"

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

// A reference model folder of `family` (tests/train/hf/reference.py:
// gpt2, llama, llama-gqa, llama3-rope, mistral, qwen2), sharded when
// `shard` > 0; removed with it.
struct Folder {
  std::filesystem::path path;
  Folder(const std::string& family, int64_t shard) {
    path = std::filesystem::temp_directory_path() /
           ("saturn-hf-" + family + "-" + std::to_string(::getpid()) + "-" + std::to_string(shard));
    std::filesystem::remove_all(path);
    const std::string cmd = test_python() + " '" + source_dir() + "/tests/train/hf/reference.py' " + family + " '" +
                            path.string() + "'" + (shard ? " --shard " + std::to_string(shard) : "") + " >/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  ~Folder() { std::filesystem::remove_all(path); }
};

// Fine-tunes `model`'s trainable parameters as the references do (torch
// AdamW, lr 1e-3, weight decay 0.01) on `batches` [steps, batch, tokens + 1]
// (inputs all but the last token, targets all but the first); the largest
// relative difference of a step's loss (before its update) from `want`.
inline double worst_loss_difference(train::BlockModel& model, const torch::Tensor& batches, const torch::Tensor& want) {
  Hyperparams hp;
  hp.lr = 1e-3;
  hp.weight_decay = 0.01;
  auto params = train::trainable(*model);
  auto opt = train::make_optimizer(params, Optimizer::AdamW, hp);
  model->train();
  double worst = 0;
  for (int64_t s = 0; s < batches.size(0); ++s) {
    train::clear_grads(params);
    auto b = batches[s];
    auto loss = train::BlockModelImpl::loss(model->forward(b.slice(1, 0, -1)), b.slice(1, 1));
    loss.backward();
    opt->step();
    const double w = want[s].item<double>();
    worst = std::max(worst, std::abs(loss.item<double>() - w) / std::abs(w));
  }
  return worst;
}

}  // namespace saturn::test
