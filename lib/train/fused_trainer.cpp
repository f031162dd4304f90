#include "train/fused_trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/run_files.h"
#include "train/checkpoint.h"
#include "train/data/dataset.h"
#include "train/data/sampler.h"
#include "train/fused_model.h"
#include "train/fused_optim.h"
#include "train/metrics.h"
#include "train/optim.h"
#include "train/precision.h"
#include "train/trial_timer.h"

namespace saturn::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// [K, ...]: the same tensor for each of the K models.
torch::Tensor for_each_model(const torch::Tensor& t, int64_t k) {
  auto shape = t.sizes().vec();
  shape.insert(shape.begin(), k);
  return t.unsqueeze(0).expand(shape).contiguous();
}

void check_compatible(const std::vector<TrainJob>& jobs) {
  if (jobs.empty()) throw internal_error("fused: no jobs");
  const TrainJob& a = jobs.front();
  for (const TrainJob& b : jobs) {
    auto refuse = [&](const std::string& what) {
      throw usage_error("--technique fused: jobs " + a.id + " and " + b.id + " differ in " + what +
                        " (fused jobs share the model, batch size, data and training settings)");
    };
    if (b.arch != a.arch || !(b.config == a.config)) refuse("model");
    if (b.hp.batch_size != a.hp.batch_size) refuse("batch size");
    if (!(b.data == a.data)) refuse("data");
    if (!(b.train == a.train)) refuse("training settings");
    if (b.steps != a.steps) refuse("steps");
  }
}

}  // namespace

int train_fused(const std::vector<TrainJob>& jobs, const volatile std::sig_atomic_t* stop_signal,
                const std::function<void(const std::string&)>& log) {
  check_compatible(jobs);
  const TrainJob& first = jobs.front();
  const auto k = static_cast<int64_t>(jobs.size());
  const auto K = jobs.size();
  const torch::Device device(first.device);
  const bool bf16 = uses_bf16(device, first.train.precision);
  const int64_t batch = first.hp.batch_size;
  const bool trial = first.trial.enabled;
  const int64_t rss_before = trial ? rss_now() : 0;

  const InputShape shape = input_shape(first.arch, first.config, first.data);
  DataSplit data = open_data(first.data, shape, first.resolve);
  const int64_t total = total_steps(first, data.train->size());

  std::vector<int64_t> seeds;
  std::vector<Hyperparams> hps;
  for (const auto& j : jobs) {
    seeds.push_back(j.hp.seed);
    hps.push_back(j.hp);
  }
  FusedModel model(first.arch, first.config, seeds, device);
  const std::vector<torch::Tensor> params = model.params();
  FusedOptimizer opt(model.trainable(), first.train.optimizer, hps);
  // Parameter i of the optimizer is params[train_index[i]].
  std::vector<size_t> train_index;
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].requires_grad()) train_index.push_back(i);

  // Per job: its step, its checkpoints (through a plain model and optimizer
  // in the single-job format), its metrics and sampler.
  std::vector<int64_t> step(K, 0);
  std::vector<std::unique_ptr<Checkpointer>> ckpt;
  std::vector<std::unique_ptr<MetricsLog>> metrics;
  std::vector<EpochSampler> sampler;
  std::vector<nlohmann::json> resumed(K, nlohmann::json::object());
  BlockModel plain = model.plain();
  plain->to(device);
  std::vector<torch::Tensor> plain_params;
  for (auto& p : plain->parameters())
    if (p.requires_grad()) plain_params.push_back(p);
  for (size_t j = 0; j < K; ++j) {
    sampler.emplace_back(data.train->size(), static_cast<uint64_t>(jobs[j].hp.seed));
    ckpt.push_back(std::make_unique<Checkpointer>(run_files::checkpoint_dir(jobs[j].out_dir)));
    if (trial) continue;
    std::filesystem::create_directories(jobs[j].out_dir);
    if (jobs[j].resume) {
      auto plain_opt = make_optimizer(plain_params, first.train.optimizer, jobs[j].hp);
      auto warn = [&](const std::string& m) { log("warning: " + m); };
      if (auto manifest = ckpt[j]->load_latest(plain, *plain_opt, warn)) {
        model.load(static_cast<int64_t>(j), plain);
        for (size_t i = 0; i < train_index.size(); ++i)
          opt.set_state(i, static_cast<int64_t>(j), state_of(*plain_opt, plain_params[i]));
        step[j] = (*manifest)["step"].get<int64_t>();
        resumed[j] = manifest->value("meta", nlohmann::json::object());
        log("resumed " + jobs[j].id + " from step " + std::to_string(step[j]));
      }
    }
    metrics.push_back(std::make_unique<MetricsLog>(run_files::metrics_path(jobs[j].out_dir), step[j] > 0 ? step[j] : -1));
  }
  if (trial) std::filesystem::create_directories(run_files::trial_dir(first.trial.run_dir));

  auto result_json = [&](size_t j, double loss, std::optional<double> eval, double wall) {
    return run_files::to_json(run_files::Result{jobs[j].id, total, loss, eval, wall, k});
  };
  auto save = [&](size_t j, const nlohmann::json& meta) {
    model.extract(static_cast<int64_t>(j), plain);
    auto plain_opt = make_optimizer(plain_params, first.train.optimizer, jobs[j].hp);
    for (size_t i = 0; i < train_index.size(); ++i)
      set_state(*plain_opt, plain_params[i], opt.state(i, static_cast<int64_t>(j)));
    ckpt[j]->save(step[j], plain, *plain_opt, meta);
  };
  std::vector<bool> active(K);
  for (size_t j = 0; j < K; ++j) {
    active[j] = step[j] < total;
    if (!active[j] && !trial) {
      if (!std::filesystem::exists(run_files::result_path(jobs[j].out_dir)) && resumed[j].contains("result"))
        write_json_atomic(run_files::result_path(jobs[j].out_dir), resumed[j]["result"]);
      log(jobs[j].id + " is already done (" + std::to_string(total) + " steps)");
    }
  }
  auto evaluate = [&]() -> std::optional<std::vector<double>> {
    if (data.valid->size() == 0) return std::nullopt;
    torch::NoGradGuard no_grad;
    model.train(false);
    const int64_t n = std::min<int64_t>(first.train.eval_batches * batch, std::max<int64_t>(data.valid->size(), batch));
    const int64_t micro = first.micro_batch > 0 ? first.micro_batch : batch;
    auto sum = torch::zeros({k}, torch::TensorOptions().dtype(torch::kDouble).device(device));
    for (int64_t p = 0; p < n; p += micro) {
      std::vector<int64_t> idx;
      for (int64_t q = p; q < std::min(p + micro, n); ++q) idx.push_back(q % data.valid->size());
      Batch b = data.valid->batch(idx);  // every model sees the same held-out samples
      AutocastScope autocast(device, bf16);
      sum += FusedModel::losses(model.forward(for_each_model(b.input.to(device), k)), for_each_model(b.target.to(device), k))
                 .to(torch::kDouble) *
             static_cast<double>(idx.size());
    }
    model.train(true);
    sum = sum.cpu() / static_cast<double>(n);
    std::vector<double> out(K);
    for (size_t j = 0; j < K; ++j) out[j] = sum[static_cast<int64_t>(j)].item<double>();
    return out;
  };

  const auto run_start = Clock::now();
  auto interval_start = Clock::now();
  std::vector<int64_t> interval_steps(K, 0);
  std::vector<double> last_loss(K, NAN);
  std::vector<std::optional<double>> last_eval(K);
  TrialTimer timer(first.trial);
  const double startup = trial ? seconds_since_process_start() : 0;
  const int64_t micro = first.micro_batch > 0 ? first.micro_batch : batch;
  for (;;) {
    size_t running = 0;
    for (size_t j = 0; j < K; ++j) running += active[j] ? 1 : 0;
    if (running == 0) break;
    const auto step_start = Clock::now();
    std::vector<double> lr(K);
    for (size_t j = 0; j < K; ++j) lr[j] = lr_at(std::min(step[j], total - 1), total, first.train.schedule, jobs[j].hp);
    opt.set_lr(lr);
    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    auto mask = torch::zeros({k}, torch::TensorOptions().device(device));
    for (size_t j = 0; j < K; ++j)
      if (active[j]) mask[static_cast<int64_t>(j)] = 1.0;
    auto local_loss = torch::zeros({k}, torch::TensorOptions().dtype(torch::kDouble).device(device));
    for (int64_t p = 0; p < batch; p += micro) {
      std::vector<torch::Tensor> ins, tgs;
      const int64_t n = std::min(p + micro, batch) - p;
      for (size_t j = 0; j < K; ++j) {
        std::vector<int64_t> idx;
        const int64_t s = std::min(step[j], total - 1);  // a finished job's slot still needs a batch
        for (int64_t q = p; q < p + n; ++q) idx.push_back(sampler[j].at(s * batch + q));
        Batch b = data.train->batch(idx);
        ins.push_back(b.input);
        tgs.push_back(b.target);
      }
      torch::Tensor losses;
      {
        AutocastScope autocast(device, bf16);
        auto out = model.forward(torch::stack(ins).to(device, /*non_blocking=*/true));
        losses = FusedModel::losses(out, torch::stack(tgs).to(device, /*non_blocking=*/true)) *
                 (static_cast<double>(n) / static_cast<double>(batch));
      }
      (losses * mask).sum().backward();
      local_loss += losses.detach().to(torch::kDouble);
    }
    if (first.train.grad_clip > 0) {  // each model's own global norm
      torch::NoGradGuard g;
      auto sq = torch::zeros({k}, torch::TensorOptions().dtype(torch::kDouble).device(device));
      for (const auto& p : params)
        if (p.grad().defined()) sq += p.grad().to(torch::kDouble).pow(2).reshape({k, -1}).sum(1);
      auto coef = (first.train.grad_clip / (sq.sqrt() + 1e-6)).clamp_max(1.0);
      for (auto& p : params)
        if (p.grad().defined()) {
          std::vector<int64_t> shape(static_cast<size_t>(p.dim()), 1);
          shape[0] = k;
          p.mutable_grad().mul_(coef.to(p.grad().dtype()).view(shape));
        }
    }
    opt.step(active);
    const auto losses = local_loss.cpu();
    const bool stopping = !trial && stop_signal && *stop_signal;
    std::vector<size_t> finished;
    for (size_t j = 0; j < K; ++j) {
      if (!active[j]) continue;
      last_loss[j] = losses[static_cast<int64_t>(j)].item<double>();
      if (!std::isfinite(last_loss[j]))
        throw data_error("job " + jobs[j].id + ": the loss is " + std::to_string(last_loss[j]) + " at step " +
                         std::to_string(step[j] + 1) + " (diverged; try a lower lr)");
      ++step[j];
      ++interval_steps[j];
    }
    if (trial) {
      timer.record(seconds_since(step_start));
      if (timer.done() || step[0] >= total) break;
      continue;
    }
    const double interval = seconds_since(interval_start);
    bool logged = false;
    std::optional<std::vector<double>> evals;
    bool evaluated = false;
    for (size_t j = 0; j < K; ++j) {
      if (!active[j]) continue;
      const int64_t done = step[j];
      const bool last = done == total;
      if (done % first.train.log_every == 0 || last) {
        const double samples_per_s = interval > 0 ? static_cast<double>(interval_steps[j] * batch) / interval : 0.0;
        nlohmann::json line = {{"step", done}, {"loss", last_loss[j]}, {"lr", lr[j]}, {"samples_per_s", samples_per_s},
                               {"time", seconds_since(run_start)}};
        if (shape.modality == Modality::Tokens)
          line["tokens_per_s"] = samples_per_s * static_cast<double>(data.train->tokens_per_sample());
        metrics[j]->write(line);
        interval_steps[j] = 0;
        logged = true;
      }
      if ((first.train.eval_every > 0 && done % first.train.eval_every == 0) || last) {
        if (!evaluated) evals = evaluate();
        evaluated = true;
        if (evals) {
          last_eval[j] = (*evals)[j];
          metrics[j]->write({{"step", done}, {"eval_loss", *last_eval[j]}});
        }
      }
      if ((first.train.checkpoint_every > 0 && done % first.train.checkpoint_every == 0) || last || stopping) {
        nlohmann::json meta = {{"job", jobs[j].id}, {"samples", done * batch}, {"world", 1}, {"fused", k}};
        if (last) meta["result"] = result_json(j, last_loss[j], last_eval[j], seconds_since(run_start));
        save(j, meta);
      }
      if (last) finished.push_back(j);
    }
    if (logged) interval_start = Clock::now();
    for (size_t j : finished) {
      active[j] = false;
      write_json_atomic(run_files::result_path(jobs[j].out_dir),
                        result_json(j, last_loss[j], last_eval[j], seconds_since(run_start)));
      log(jobs[j].id + " done (" + std::to_string(total) + " steps, fused with " + std::to_string(k - 1) + " more)");
    }
    if (stopping) {
      const int sig = static_cast<int>(*stop_signal);
      for (size_t j = 0; j < K; ++j)
        if (active[j]) log("stopped " + jobs[j].id + " at step " + std::to_string(step[j]) + " with a checkpoint");
      return 128 + sig;
    }
  }
  if (trial) {
    int64_t peak = rss_peak() - rss_before;
    peak = device_peak_memory(device, peak);
    write_trial(first.trial, 0, timer.result(peak, startup, last_loss[0]));
  }
  return 0;
}

}  // namespace saturn::train
