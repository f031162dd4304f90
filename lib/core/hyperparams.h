// Hyperparams: the per-job settings a search grid varies that do not change
// the cost of a step (except batch_size, which is part of a job's shape).
// The table of hyperparameter keys gives each its grid key, its short name
// in job ids, its type and bounds. Plain value type; static table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "arch.h"
#include "value.h"

namespace saturn {

struct Hyperparams {
  double lr = 1e-3;            // peak learning rate
  int64_t batch_size = 32;     // global batch, samples per optimizer step
  double weight_decay = 0.0;   // decoupled (AdamW) or L2 (SGD)
  int64_t warmup = 0;          // linear warm-up steps
  int64_t seed = 0;            // initialisation and sampling seed
  double momentum = 0.9;       // SGD momentum
  double beta1 = 0.9;          // AdamW betas
  double beta2 = 0.999;

  bool operator==(const Hyperparams&) const = default;
};

struct HyperparamKey {
  std::string key;     // grid key: "lr", "batch_size", ...
  std::string abbrev;  // in job ids: "lr", "bs", ...
  ValueType type;
  double min, max;     // bounds, inclusive unless open
  bool min_open;       // the minimum itself is excluded (lr > 0)
  bool max_open;       // the maximum itself is excluded (momentum < 1)
  const char* doc;
};

const std::vector<HyperparamKey>& hyperparam_keys();
const HyperparamKey* find_hyperparam_key(const std::string& key);
// The grid key meant by a name people type for it (learning_rate, batch,
// per_device_train_batch_size, adam_beta1, the id abbreviations bs, wd,
// ...; case and - vs _ ignored), or "" when `name` is none of them.
std::string hyperparam_alias(const std::string& name);

// Reads and writes one hyperparameter by grid key (which must be one of
// hyperparam_keys()).
Value get_hyperparam(const Hyperparams& h, const std::string& key);
void set_hyperparam(Hyperparams& h, const std::string& key, const Value& v);

// "lr=...,batch_size=...": canonical text for hashing.
std::string canonical(const Hyperparams& h);

}  // namespace saturn
