#include "hyperparams.h"

#include <cctype>

#include "error.h"

namespace saturn {

const std::vector<HyperparamKey>& hyperparam_keys() {
  static const std::vector<HyperparamKey> keys = {
      {"lr", "lr", ValueType::Real, 0, 1e12, true, false, "peak learning rate"},
      {"batch_size", "bs", ValueType::Integer, 1, 1 << 24, false, false, "global batch size in samples"},
      {"weight_decay", "wd", ValueType::Real, 0, 10, false, false, "weight decay"},
      {"warmup", "warmup", ValueType::Integer, 0, 1e12, false, false, "linear warm-up steps"},
      {"seed", "seed", ValueType::Integer, 0, 4294967295.0, false, false, "random seed"},
      {"momentum", "mom", ValueType::Real, 0, 1, false, true, "SGD momentum (below 1)"},
      {"beta1", "b1", ValueType::Real, 0, 1, false, true, "AdamW beta1 (below 1)"},
      {"beta2", "b2", ValueType::Real, 0, 1, false, true, "AdamW beta2 (below 1)"},
  };
  return keys;
}

const HyperparamKey* find_hyperparam_key(const std::string& key) {
  for (const auto& k : hyperparam_keys())
    if (k.key == key) return &k;
  return nullptr;
}

std::string hyperparam_alias(const std::string& name) {
  std::string n;
  for (char c : name) n += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::vector<std::pair<const char*, const char*>> aliases = {
      {"learning_rate", "lr"}, {"learningrate", "lr"}, {"rate", "lr"}, {"eta", "lr"},
      {"batch", "batch_size"}, {"batchsize", "batch_size"}, {"train_batch_size", "batch_size"},
      {"per_device_train_batch_size", "batch_size"}, {"global_batch_size", "batch_size"},
      {"decay", "weight_decay"}, {"weightdecay", "weight_decay"}, {"l2", "weight_decay"},
      {"warmup_steps", "warmup"}, {"num_warmup_steps", "warmup"},
      {"random_seed", "seed"}, {"rng_seed", "seed"},
      {"adam_beta1", "beta1"}, {"adam_beta2", "beta2"}, {"sgd_momentum", "momentum"},
  };
  for (const auto& [alias, key] : aliases)
    if (n == alias) return key;
  for (const auto& k : hyperparam_keys())
    if (n == k.abbrev && n != k.key) return k.key;
  return "";
}

Value get_hyperparam(const Hyperparams& h, const std::string& key) {
  if (key == "lr") return h.lr;
  if (key == "batch_size") return h.batch_size;
  if (key == "weight_decay") return h.weight_decay;
  if (key == "warmup") return h.warmup;
  if (key == "seed") return h.seed;
  if (key == "momentum") return h.momentum;
  if (key == "beta1") return h.beta1;
  if (key == "beta2") return h.beta2;
  throw internal_error("unknown hyperparameter " + key);
}

void set_hyperparam(Hyperparams& h, const std::string& key, const Value& v) {
  double d = value_number(v);
  auto i = static_cast<int64_t>(d);
  if (key == "lr") h.lr = d;
  else if (key == "batch_size") h.batch_size = i;
  else if (key == "weight_decay") h.weight_decay = d;
  else if (key == "warmup") h.warmup = i;
  else if (key == "seed") h.seed = i;
  else if (key == "momentum") h.momentum = d;
  else if (key == "beta1") h.beta1 = d;
  else if (key == "beta2") h.beta2 = d;
  else throw internal_error("unknown hyperparameter " + key);
}

std::string canonical(const Hyperparams& h) {
  std::string r;
  for (const auto& k : hyperparam_keys()) {
    if (!r.empty()) r += ',';
    r += k.key + "=" + value_text(get_hyperparam(h, k.key));
  }
  return r;
}

}  // namespace saturn
