// saturn_bench_hf: the saturn side of scripts/bench-hf.sh; each mode prints
// one JSON line.
//   load DIR                 time to build the model of a Hugging Face folder and load
//                            its safetensors (float32), and the peak RSS growth while loading
//   tokenize TOKENIZER TEXT  encode TEXT once on one thread: seconds and MB/s
//   step DIR BATCH STEPS [RANK]  median seconds per AdamW training step of the folder's
//                            model on random tokens [BATCH, seq_len], one thread, and the
//                            process's peak RSS; with RANK, LoRA adapters of that rank
//                            (alpha 2 RANK) on every projection, the base frozen
//   activations DIR BATCH    bytes the forward pass and loss keep for backward (malloc's
//                            in-use bytes before and after, graph alive) against model_cost's
#include <malloc.h>
#include <sys/resource.h>

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "core/hf_config.h"
#include "profile/model_cost.h"
#include "tokenize/tokenizer.h"
#include "train/models/build.h"
#include "train/models/hf_weights.h"
#include "train/models/lora.h"
#include "train/optim.h"
#include "train/techniques/technique.h"

using namespace saturn;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Current resident set in bytes (/proc/self/statm).
int64_t rss() {
  std::ifstream f("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * 4096;
}

int load(const std::string& dir) {
  const int64_t before = rss();
  const auto t0 = Clock::now();
  const HfModel m = read_hf_config(dir);
  train::BlockModel model = train::build_model(m.arch, m.config, "", /*init=*/false);  // as a worker does
  const double built = seconds_since(t0);
  train::load_pretrained(m.arch, model, dir);
  const double s = seconds_since(t0);
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  std::cout << "{\"seconds\": " << s << ", \"build_s\": " << built << ", \"peak_rss_growth\": " << (u.ru_maxrss * 1024 - before)
            << ", \"model_bytes\": " << params * 4 << ", \"parameters\": " << params << "}\n";
  return 0;
}

int tokenize(const std::string& tokenizer, const std::string& text_path) {
  const tok::Tokenizer t = tok::Tokenizer::load(tokenizer);
  std::ifstream f(text_path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  const auto t0 = Clock::now();
  const auto ids = t.encode(text);
  const double s = seconds_since(t0);
  std::cout << "{\"seconds\": " << s << ", \"mb_per_s\": " << static_cast<double>(text.size()) / 1e6 / s
            << ", \"tokens\": " << ids.size() << "}\n";
  return 0;
}

int step(const std::string& dir, int64_t batch, int64_t steps, int64_t rank) {
  torch::set_num_threads(1);
  const HfModel m = read_hf_config(dir);
  train::BlockModel model = train::build_model(m.arch, m.config, "", /*init=*/false);
  train::load_pretrained(m.arch, model, dir);
  if (rank > 0) {
    FinetuneSpec f;
    f.method = FinetuneMethod::Lora;
    f.lora.rank = rank;
    f.lora.alpha = 2.0 * static_cast<double>(rank);
    train::apply_lora(m.arch, model, with_default_targets(f, m.arch));
  }
  model->train();
  Hyperparams hp;
  hp.lr = 1e-4;
  auto params = train::trainable(*model);
  auto opt = train::make_optimizer(params, Optimizer::AdamW, hp);
  const int64_t seq = m.config.integer("seq_len"), vocab = m.config.integer("vocab");
  torch::manual_seed(0);
  const auto tokens = torch::randint(0, vocab, {batch, seq + 1}, torch::kLong);
  std::vector<double> times;
  for (int64_t s = 0; s < steps + 3; ++s) {
    const auto t0 = Clock::now();
    train::clear_grads(params);
    auto loss = train::BlockModelImpl::loss(model->forward(tokens.slice(1, 0, seq)), tokens.slice(1, 1));
    loss.backward();
    opt->step();
    if (s >= 3) times.push_back(seconds_since(t0));  // after 3 warm-up steps
  }
  std::sort(times.begin(), times.end());
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  std::cout << "{\"step_s\": " << times[times.size() / 2] << ", \"peak_rss_mb\": " << static_cast<double>(ru.ru_maxrss) / 1024
            << "}\n";
  return 0;
}

int64_t in_use() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<int64_t>(m.uordblks + m.hblkhd);
}

int activations(const std::string& dir, int64_t batch) {
  torch::set_num_threads(1);
  const HfModel m = read_hf_config(dir);
  train::BlockModel model = train::build_model(m.arch, m.config, "");
  model->train();
  const int64_t seq = m.config.integer("seq_len"), vocab = m.config.integer("vocab");
  const auto tokens = torch::randint(0, vocab, {batch, seq + 1}, torch::kLong);
  const auto in = tokens.slice(1, 0, seq).contiguous(), target = tokens.slice(1, 1).contiguous();
  const int64_t before = in_use();
  auto loss = train::BlockModelImpl::loss(model->forward(in), target);
  const int64_t kept = in_use() - before;
  const auto cost = model_cost(m.arch, m.config);
  std::cout << "{\"measured\": " << kept << ", \"model_cost\": " << cost->activation_bytes * static_cast<double>(batch)
            << ", \"ratio\": " << static_cast<double>(kept) / (cost->activation_bytes * static_cast<double>(batch)) << "}\n";
  loss.backward();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "load" && argc == 3) return load(argv[2]);
    if (mode == "tokenize" && argc == 4) return tokenize(argv[2], argv[3]);
    if (mode == "step" && (argc == 5 || argc == 6))
      return step(argv[2], std::stoll(argv[3]), std::stoll(argv[4]), argc == 6 ? std::stoll(argv[5]) : 0);
    if (mode == "activations" && argc == 4) return activations(argv[2], std::stoll(argv[3]));
  } catch (const std::exception& e) {
    std::cerr << "saturn_bench_hf: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: saturn_bench_hf load DIR | tokenize TOKENIZER TEXT | step DIR BATCH STEPS [RANK] | activations DIR BATCH\n";
  return 64;
}
