// BlockModel: a trainable model as an ordered list of blocks, each a module
// from Tensor to Tensor, and a cross-entropy loss on the last block's output.
// Every parallelism works block by block (FSDP gathers a block's weights,
// pipelines cut the list into stages, spilling moves groups of blocks), so
// every architecture is built as one of these.
// Owns its blocks; not thread safe (like any torch::nn::Module).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace saturn::train {

class BlockModelImpl : public torch::nn::Module {
 public:
  // Appends a block; it is registered as a submodule named "<index>_<name>".
  template <typename ModuleHolder>
  void add_block(const std::string& name, ModuleHolder block) {
    register_module(std::to_string(blocks_.size()) + "_" + name, block.ptr());
    names_.push_back(name);
    blocks_.emplace_back(std::move(block));
  }

  size_t size() const { return blocks_.size(); }
  const std::string& block_name(size_t i) const { return names_.at(i); }
  torch::nn::AnyModule& block(size_t i) { return blocks_.at(i); }

  // Block `block` also reads the parameters of block `other` (a tied
  // weight, owned and registered by `other`): FSDP gathers both for it.
  void add_use(size_t block, size_t other) { uses_.resize(blocks_.size()); uses_.at(block).push_back(other); }
  std::vector<size_t> uses(size_t block) const { return block < uses_.size() ? uses_[block] : std::vector<size_t>{}; }

  // Blocks [begin, end) applied to x in order.
  torch::Tensor forward_range(torch::Tensor x, size_t begin, size_t end);
  torch::Tensor forward(torch::Tensor x) { return forward_range(std::move(x), 0, size()); }

  // Mean cross-entropy of logits [..., classes] against targets [...].
  static torch::Tensor loss(const torch::Tensor& logits, const torch::Tensor& targets);

  // Parameter count (elements), each shared tensor counted once.
  int64_t parameter_count();

 private:
  std::vector<torch::nn::AnyModule> blocks_;
  std::vector<std::string> names_;
  std::vector<std::vector<size_t>> uses_;
};
TORCH_MODULE(BlockModel);

// Drops a parameter's storage but keeps its shape (modules read shapes), over
// a one-element buffer: what FSDP, spilling and pipelines do to parameters
// that live elsewhere between uses. Clears its gradient.
void drop_storage(torch::Tensor& p);

}  // namespace saturn::train
