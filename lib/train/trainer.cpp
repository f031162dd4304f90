#include "train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/run_files.h"
#include "train/checkpoint.h"
#include "train/data/dataset.h"
#include "train/data/sampler.h"
#include "train/pipeline.h"
#include "train/sharded_model.h"
#include "train/metrics.h"
#include "train/models/build.h"
#include "train/optim.h"
#include "train/precision.h"
#include "train/trial_timer.h"

namespace saturn::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Sums gradients over ranks in buckets of about 16M elements.
void all_reduce_gradients(const std::vector<torch::Tensor>& params, Communicator& comm) {
  constexpr int64_t kBucket = int64_t(1) << 24;
  std::vector<torch::Tensor> bucket;
  int64_t elements = 0;
  auto flush = [&] {
    if (bucket.empty()) return;
    std::vector<torch::Tensor> flat;
    for (auto& g : bucket) flat.push_back(g.reshape({-1}));
    auto all = torch::cat(flat);
    comm.all_reduce(all);
    int64_t offset = 0;
    for (auto& g : bucket) {
      g.copy_(all.slice(0, offset, offset + g.numel()).view_as(g));
      offset += g.numel();
    }
    bucket.clear();
    elements = 0;
  };
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    bucket.push_back(p.grad());
    elements += p.numel();
    if (elements >= kBucket) flush();
  }
  flush();
}

struct Slice {
  int64_t lo, hi;  // this rank's part of the global batch: positions [lo, hi)
};
Slice rank_slice(int64_t batch, int rank, int world) {
  return {batch * rank / world, batch * (rank + 1) / world};
}

bool is_out_of_memory(const std::string& what) {
  return what.find("out of memory") != std::string::npos || what.find("not enough memory") != std::string::npos ||
         what.find("std::bad_alloc") != std::string::npos;
}

int train_loop(const TrainJob& job, Communicator* comm, const volatile std::sig_atomic_t* stop_signal,
               const std::function<void(const std::string&)>& log);

}  // namespace

int64_t total_steps(const TrainJob& job, int64_t train_samples) {
  if (job.trial.enabled) return job.trial.warmup + job.trial.max_steps + 1;
  if (job.steps > 0) return job.steps;
  if (job.train.steps > 0) return job.train.steps;
  return static_cast<int64_t>(std::ceil(job.train.epochs * static_cast<double>(train_samples) /
                                        static_cast<double>(job.hp.batch_size)));
}

int train_job(const TrainJob& job, Communicator* comm, const volatile std::sig_atomic_t* stop_signal,
              const std::function<void(const std::string&)>& log) {
  if (!job.trial.enabled) return train_loop(job, comm, stop_signal, log);
  const int rank = comm ? comm->rank() : 0;
  try {
    return train_loop(job, comm, stop_signal, log);
  } catch (const std::bad_alloc&) {
    write_trial(job.trial, rank, infeasible_trial("out of memory (the allocator failed)"));
  } catch (const c10::Error& e) {
    const std::string msg = e.msg().substr(0, e.msg().find('\n'));
    if (!is_out_of_memory(msg)) throw;
    write_trial(job.trial, rank, infeasible_trial("out of memory: " + msg.substr(0, 200)));
  }
  return kTrialInfeasible;
}

namespace {

int train_loop(const TrainJob& job, Communicator* comm, const volatile std::sig_atomic_t* stop_signal,
              const std::function<void(const std::string&)>& log) {
  const int rank = comm ? comm->rank() : 0, world = comm ? comm->world() : 1;
  const bool leader = rank == 0;
  const torch::Device device(job.device);
  const bool bf16 = uses_bf16(device, job.train.precision);
  const auto on_device = torch::TensorOptions().dtype(torch::kDouble).device(device);
  const int64_t batch = job.hp.batch_size;
  if (batch < world)
    throw data_error("job " + job.id + ": batch_size " + std::to_string(batch) + " is smaller than its " +
                     std::to_string(world) + " ranks");

  const bool trial = job.trial.enabled;
  const int64_t rss_before = trial ? rss_now() : 0;
  // Data first: a bad file fails before any work.
  const InputShape shape = input_shape(job.arch, job.config, job.data);
  DataSplit data = open_data(job.data, shape, job.resolve);
  const int64_t total = total_steps(job, data.train->size());

  torch::manual_seed(job.hp.seed);
  BlockModel model = build_model(job.arch, job.config, job.module_path);
  model->to(device);
  std::vector<torch::Tensor> params;
  for (auto& p : model->parameters())
    if (p.requires_grad()) params.push_back(p);
  if (comm)  // every rank starts from rank 0's weights
    for (auto& p : model->parameters()) {
      torch::NoGradGuard g;
      comm->broadcast(p, 0);
    }
  // FSDP and spilling: the optimizer owns the shards (FSDP) or the host
  // copies (spill); the module's parameters hold storage only while their
  // block group runs (sharded_model.h).
  std::unique_ptr<ShardedModel> fsdp;
  if ((comm && job.technique == "fsdp") || (!comm && job.technique == "spill")) {
    ShardOptions so;
    so.comm = comm;
    so.group_blocks = job.group_blocks;
    so.recompute = job.recompute;
    so.offload = comm && job.offload;
    fsdp = std::make_unique<ShardedModel>(model, so);
    params = fsdp->shards();
  }
  // Pipeline: stages cut by block times rank 0 measured on one micro-batch.
  std::unique_ptr<Pipeline> pipe;
  const bool pipelined = comm && job.technique == "pipeline";
  const int64_t micro_batches =
      pipelined ? std::clamp<int64_t>(job.micro_batches > 0 ? job.micro_batches : 2 * world, 1, batch) : 0;
  if (pipelined) {
    if (static_cast<int64_t>(model->size()) < world)
      throw data_error("job " + job.id + ": a pipeline of " + std::to_string(world) + " stages needs as many blocks; " +
                       "the model has " + std::to_string(model->size()));
    auto times = torch::zeros({static_cast<int64_t>(model->size())}, on_device);
    if (rank == 0) {
      torch::NoGradGuard g;
      std::vector<int64_t> idx;
      for (int64_t q = 0; q < (batch + micro_batches - 1) / micro_batches; ++q) idx.push_back(q % data.train->size());
      torch::Tensor x = data.train->batch(idx).input.to(device);
      for (int rep = 0; rep < 3; ++rep) {  // the first is a warm-up; the last two are kept
        torch::Tensor h = x;
        for (size_t b = 0; b < model->size(); ++b) {
          const auto t0 = Clock::now();
          h = model->forward_range(h, b, b + 1);
          if (rep > 0) times[static_cast<int64_t>(b)] += seconds_since(t0);
        }
      }
    }
    comm->broadcast(times, 0);
    times = times.cpu();
    std::vector<double> t(static_cast<size_t>(times.numel()));
    for (size_t b = 0; b < t.size(); ++b) t[b] = times[static_cast<int64_t>(b)].item<double>();
    pipe = std::make_unique<Pipeline>(model, *comm, balance_stages(t, static_cast<size_t>(world)),
                                      job.gpipe ? PipeSchedule::GPipe : PipeSchedule::OneFOneB);
    params = pipe->params();
  }
  auto make_opt = [&](const std::vector<torch::Tensor>& ps) { return make_optimizer(ps, job.train.optimizer, job.hp); };
  auto opt = make_opt(params);
  auto forward = [&](const torch::Tensor& x) { return fsdp ? fsdp->forward(x) : model->forward(x); };

  std::filesystem::create_directories(trial ? run_files::trial_dir(job.trial.run_dir) : job.out_dir);
  Checkpointer ckpt(run_files::checkpoint_dir(job.out_dir));
  int64_t start = 0;
  nlohmann::json resumed_meta;
  if (job.resume && !trial) {
    auto warn = [&](const std::string& m) {
      if (leader) log("warning: " + m);
    };
    // FSDP loads the single-device format into full tensors, then shards it.
    std::unique_ptr<torch::optim::Optimizer> full;
    if (pipe) pipe->materialise();
    if (fsdp || pipe) {
      if (fsdp) fsdp->materialise();
      std::vector<torch::Tensor> all;
      for (auto& p : model->parameters())
        if (p.requires_grad()) all.push_back(p);
      full = make_opt(all);
    }
    auto manifest = ckpt.load_latest(model, full ? *full : *opt, warn);
    if (fsdp) {
      if (manifest) fsdp->load_full(*full, *opt);
      else fsdp->release();
    }
    if (pipe) {
      if (manifest) pipe->load_full(*full, *opt);
      else pipe->release();
    }
    if (manifest) {
      start = (*manifest)["step"].get<int64_t>();
      resumed_meta = manifest->value("meta", nlohmann::json::object());
      if (leader) log("resumed " + job.id + " from step " + std::to_string(start));
    }
  }
  std::unique_ptr<MetricsLog> metrics;
  if (leader && !trial) metrics = std::make_unique<MetricsLog>(run_files::metrics_path(job.out_dir), start > 0 ? start : -1);
  if (comm) comm->barrier();  // every rank has loaded before rank 0 may write a newer checkpoint

  EpochSampler sampler(data.train->size(), static_cast<uint64_t>(job.hp.seed));
  const Slice mine = pipe ? Slice{0, batch} : rank_slice(batch, rank, world);
  const int64_t micro = pipe ? (batch + micro_batches - 1) / micro_batches
                             : job.micro_batch > 0 ? job.micro_batch : mine.hi - mine.lo;
  const int64_t tokens_per_sample = data.train->tokens_per_sample();

  auto evaluate = [&]() -> std::optional<double> {
    if (data.valid->size() == 0) return std::nullopt;
    torch::NoGradGuard no_grad;
    model->eval();
    double sum = 0;
    const int64_t n = std::min<int64_t>(job.train.eval_batches * batch,
                                        std::max<int64_t>(data.valid->size(), batch));
    const Slice part = pipe ? Slice{0, n} : rank_slice(n, rank, world);  // a pipeline's stages all see every sample
    if (pipe) {
      std::vector<torch::Tensor> inputs, targets;
      std::vector<double> scale;
      for (int64_t p = 0; p < n; p += micro) {
        std::vector<int64_t> idx;
        for (int64_t q = p; q < std::min(p + micro, n); ++q) idx.push_back(q % data.valid->size());
        Batch b = data.valid->batch(idx);
        inputs.push_back(b.input.to(device));
        targets.push_back(b.target.to(device));
        scale.push_back(static_cast<double>(idx.size()));
      }
      AutocastScope autocast(device, bf16);
      sum = pipe->run(inputs, targets, scale, false).item<double>();
    }
    for (int64_t p = part.lo; p < (pipe ? part.lo : part.hi); p += micro) {
      std::vector<int64_t> idx;
      for (int64_t q = p; q < std::min(p + micro, part.hi); ++q) idx.push_back(q % data.valid->size());
      Batch b = data.valid->batch(idx);
      AutocastScope autocast(device, bf16);
      auto out = forward(b.input.to(device));
      sum += BlockModelImpl::loss(out, b.target.to(device)).item<double>() * static_cast<double>(idx.size());
    }
    model->train();
    auto t = torch::full({1}, sum, on_device);  // the communicator's device
    if (comm) comm->all_reduce(t);
    return t.item<double>() / static_cast<double>(n);
  };

  auto result_json = [&](int64_t steps, double loss, std::optional<double> eval, double wall) {
    return run_files::to_json(run_files::Result{job.id, steps, loss, eval, wall, 0});
  };
  auto meta = [&](int64_t steps_done) {
    return nlohmann::json{{"job", job.id}, {"samples", steps_done * batch}, {"world", world}};
  };

  if (start >= total) {
    // Finished before: result.json may be missing when the last worker was
    // stopped between its final checkpoint and writing it; the final
    // checkpoint carries the result.
    const std::string result = run_files::result_path(job.out_dir);
    if (leader && !std::filesystem::exists(result) && resumed_meta.contains("result"))
      write_json_atomic(result, resumed_meta["result"]);
    if (leader) log(job.id + " is already done (" + std::to_string(total) + " steps)");
    return 0;
  }
  model->train();
  auto run_start = Clock::now(), interval_start = Clock::now();
  int64_t interval_steps = 0;
  double last_loss = NAN;
  std::optional<double> last_eval;
  TrialTimer timer(job.trial);
  const double startup = trial ? seconds_since_process_start() : 0;  // the first step starts now
  auto trial_done = [&] { return trial && leader && timer.done(); };
  for (int64_t step = start; step < total; ++step) {
    const auto step_start = Clock::now();
    const double lr = lr_at(step, total, job.train.schedule, job.hp);
    set_lr(*opt, lr);
    // Gradients to none rather than zero: the first backward writes them
    // instead of adding to a memset buffer (what PyTorch 2.x does by default).
    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    // Summed on the device: one host sync per step, not one per micro-batch.
    auto local_loss = torch::zeros({}, on_device);
    if (pipe) {
      std::vector<torch::Tensor> inputs, targets;
      std::vector<double> scale;
      for (int64_t p = 0; p < batch; p += micro) {
        std::vector<int64_t> idx;
        for (int64_t q = p; q < std::min(p + micro, batch); ++q) idx.push_back(sampler.at(step * batch + q));
        Batch b = data.train->batch(idx);
        inputs.push_back(b.input.to(device, /*non_blocking=*/true));
        targets.push_back(b.target.to(device, /*non_blocking=*/true));
        scale.push_back(static_cast<double>(idx.size()) / static_cast<double>(batch));
      }
      // Each stage draws its own dropout masks: seeded by (seed, step, stage)
      // so a resumed run draws what an uninterrupted one would (a checkpoint
      // holds one RNG state, rank 0's).
      torch::manual_seed(static_cast<uint64_t>(job.hp.seed) * 1000003u + static_cast<uint64_t>(step) * 131u +
                         static_cast<uint64_t>(rank));
      AutocastScope autocast(device, bf16);
      local_loss += pipe->run(inputs, targets, scale, true);
    }
    for (int64_t p = mine.lo; p < (pipe ? mine.lo : mine.hi); p += micro) {
      std::vector<int64_t> idx;
      for (int64_t q = p; q < std::min(p + micro, mine.hi); ++q) idx.push_back(sampler.at(step * batch + q));
      Batch b = data.train->batch(idx);
      torch::Tensor loss;
      {
        AutocastScope autocast(device, bf16);
        auto out = forward(b.input.to(device, /*non_blocking=*/true));
        loss = BlockModelImpl::loss(out, b.target.to(device, /*non_blocking=*/true)) *
               (static_cast<double>(idx.size()) / static_cast<double>(batch));
      }
      loss.backward();
      if (fsdp) fsdp->finish_backward();
      local_loss += loss.detach().to(torch::kDouble);
    }
    const int local_stop = stop_signal ? static_cast<int>(*stop_signal) : 0;
    // [loss, stop] in one all-reduce on the communicator's device, read once.
    auto stats = torch::stack({local_loss, torch::full({}, static_cast<double>(local_stop), on_device),
                               torch::full({}, trial_done() ? 1.0 : 0.0, on_device)});
    if (comm) {
      if (!fsdp && !pipe) all_reduce_gradients(params, *comm);  // FSDP reduce-scattered them; a pipeline has one copy
      comm->all_reduce(stats);
    }
    if (job.train.grad_clip > 0) {
      if (fsdp) fsdp->clip_grad_norm(job.train.grad_clip);
      else if (pipe) pipe->clip_grad_norm(job.train.grad_clip);
      else torch::nn::utils::clip_grad_norm_(params, job.train.grad_clip);
    }
    opt->step();
    stats = stats.cpu();
    last_loss = stats[0].item<double>();
    if (!std::isfinite(last_loss))
      throw data_error("job " + job.id + ": the loss is " + std::to_string(last_loss) + " at step " +
                       std::to_string(step + 1) + " (diverged; try a lower lr)");
    const int64_t done = step + 1;
    if (trial) {
      timer.record(seconds_since(step_start));
      if (stats[2].item<double>() > 0 || done == total) break;
      continue;
    }
    ++interval_steps;
    const bool last = done == total;
    if (leader && (done % job.train.log_every == 0 || last)) {
      const double secs = seconds_since(interval_start);
      const double samples_per_s = secs > 0 ? static_cast<double>(interval_steps * batch) / secs : 0.0;
      nlohmann::json line = {{"step", done}, {"loss", last_loss}, {"lr", lr}, {"samples_per_s", samples_per_s},
                             {"time", seconds_since(run_start)}};
      if (shape.modality == Modality::Tokens) line["tokens_per_s"] = samples_per_s * static_cast<double>(tokens_per_sample);
      metrics->write(line);
      interval_start = Clock::now();
      interval_steps = 0;
    }
    if ((job.train.eval_every > 0 && done % job.train.eval_every == 0) || last) {
      last_eval = evaluate();
      if (leader && last_eval) metrics->write({{"step", done}, {"eval_loss", *last_eval}});
    }
    const bool stopping = stats[1].item<double>() > 0;
    if ((job.train.checkpoint_every > 0 && done % job.train.checkpoint_every == 0) || last || stopping) {
      nlohmann::json m = meta(done);
      if (last) m["result"] = result_json(total, last_loss, last_eval, seconds_since(run_start));
      if (fsdp) {  // every rank gathers; rank 0 writes the single-device format
        auto full = fsdp->gather_full(*opt, make_opt);
        if (leader) ckpt.save(done, model, *full, m);
        fsdp->release();
      } else if (pipe) {
        auto full = pipe->gather_full(*opt, make_opt);
        if (leader) ckpt.save(done, model, *full, m);
        pipe->release();
      } else if (leader) {
        ckpt.save(done, model, *opt, m);
      }
    }
    if (stopping) {
      if (comm) comm->barrier();  // the checkpoint is on disk before any rank exits
      const int sig = stop_signal && *stop_signal ? static_cast<int>(*stop_signal) : SIGTERM;
      if (leader) log("stopped " + job.id + " at step " + std::to_string(done) + " with a checkpoint");
      return 128 + sig;
    }
  }
  if (trial) {
    write_trial(job.trial, rank, timer.result(device_peak_memory(device, rss_peak() - rss_before), startup, last_loss));
    if (comm) comm->barrier();
    return 0;
  }
  if (comm) comm->barrier();
  if (leader)
    write_json_atomic(run_files::result_path(job.out_dir), result_json(total, last_loss, last_eval, seconds_since(run_start)));
  return 0;
}

}  // namespace

}  // namespace saturn::train
