#include "train/train_loop.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/run_files.h"
#include "train/checkpoint.h"
#include "train/heartbeat.h"
#include "train/data/dataset.h"
#include "train/data/sampler.h"
#include "train/eval/task_eval.h"
#include "train/metrics.h"
#include "train/optim.h"
#include "train/precision.h"
#include "train/techniques/technique.h"
#include "train/trained_model.h"
#include "train/trial_timer.h"

namespace saturn::train {

int64_t total_steps(const TrainJob& job, int64_t train_samples) {
  if (job.trial.enabled) return job.trial.warmup + job.trial.timing.max_steps + 1;
  if (job.steps > 0) return job.steps;
  if (job.train.steps > 0) return job.train.steps;
  return static_cast<int64_t>(std::ceil(job.train.epochs * static_cast<double>(train_samples) /
                                        static_cast<double>(job.hp.batch_size)));
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

bool is_out_of_memory(const std::string& what) {
  return what.find("out of memory") != std::string::npos || what.find("not enough memory") != std::string::npos ||
         what.find("std::bad_alloc") != std::string::npos;
}

void check_compatible(const std::vector<TrainJob>& jobs) {
  if (jobs.empty()) throw internal_error("train: no jobs");
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

// One job's progress through the loop.
struct JobRun {
  const TrainJob* job = nullptr;
  EpochSampler sampler;
  std::unique_ptr<Checkpointer> ckpt;
  std::unique_ptr<MetricsLog> metrics;  // rank 0, not in a trial
  int64_t step = 0;                     // optimizer steps done
  int64_t pause = 0;                    // it stops here (a rung, or the total)
  int64_t interval_steps = 0;           // since its last metrics line
  double lr = 0, loss = NAN;
  std::optional<double> eval;
  BlockModel task_model{nullptr};       // rank 0: the job's model for task evaluation, built at its first
  nlohmann::json resumed = nlohmann::json::object();  // the manifest's meta it resumed from
  bool active = true;
};

// The state of one train() call: what the loop and its steps share.
struct Run {
  const std::vector<TrainJob>& jobs;
  Communicator* comm;
  const volatile std::sig_atomic_t* stop_signal;
  const std::function<void(const std::string&)>& log;
  const TrainJob& first;
  int rank = 0, world = 1;
  bool leader = true, trial = false;
  torch::Device device;
  int64_t batch = 0, total = 0, rss_before = 0;
  InputShape shape;
  DataSplit data;
  std::unique_ptr<TechniqueImpl> tech;
  std::vector<JobRun> runs;
  Clock::time_point run_start = Clock::now(), interval_start = Clock::now();
  Clock::time_point last_checkpoint = Clock::now();  // train.checkpoint_seconds counts from here (rank 0's clock)
  double last_save_s = 0;                            // what writing the last checkpoints took

  std::unique_ptr<HeartbeatWriter> heartbeat;        // rank 0, not in a trial
  std::unique_ptr<TaskEvaluator> tasks;              // rank 0, not in a trial, with eval: tasks

  void beat(HeartbeatWriter::Phase phase) {
    if (heartbeat) heartbeat->set(runs.front().step, phase);
  }

  Run(const std::vector<TrainJob>& j, Communicator* c, const volatile std::sig_atomic_t* s,
      const std::function<void(const std::string&)>& l)
      : jobs(j), comm(c), stop_signal(s), log(l), first(j.front()), device(j.front().device) {}

  void say(const std::string& m) const {
    if (leader) log(m);
  }
  run_files::Result result(const JobRun& r) const {
    return {r.job->id, total, r.loss, r.eval, seconds_since(run_start), tech->fused_width(),
            shape.modality == Modality::Tokens ? trained_tokens(r) : 0};
  }
  // The targets the job's loss was taken on over its `total` steps (its
  // sampler replayed: a resumed job counts its steps before the resume too).
  int64_t trained_tokens(const JobRun& r) const {
    EpochSampler s = r.sampler;
    std::vector<int64_t> idx(static_cast<size_t>(batch));
    int64_t n = 0;
    for (int64_t step = 0; step < total; ++step) {
      for (int64_t q = 0; q < batch; ++q) idx[static_cast<size_t>(q)] = s.at(step * batch + q);
      n += data.train->trained_targets(idx);
    }
    return n;
  }
  void open();
  void resume();
  std::optional<std::vector<double>> evaluate();
  nlohmann::json score_tasks(JobRun& r);
  void after_step(bool stopping, bool timed_checkpoint);
  int steps();
};

void Run::open() {
  rank = comm ? comm->rank() : 0;
  world = comm ? comm->world() : 1;
  leader = rank == 0;
  trial = first.trial.enabled;
  batch = first.hp.batch_size;
  if (batch < world)
    throw data_error("job " + first.id + ": batch_size " + std::to_string(batch) + " is smaller than its " +
                     std::to_string(world) + " ranks");
  rss_before = !trial ? 0 : first.trial.rss_base >= 0 ? first.trial.rss_base : rss_now();
  // Data first: a bad file fails before any work.
  shape = input_shape(first.arch, first.config, first.data);
  data = open_data(first.data, shape, first.resolve);
  total = total_steps(first, data.train->size());
  tech = make_technique({&jobs, comm, device, uses_bf16(device, first.train.precision), &data});
  if (trial) std::filesystem::create_directories(run_files::trial_dir(first.trial.run_dir));
  if (!trial && leader) {
    std::filesystem::create_directories(first.out_dir);
    // Several beats fit in the runner's shortest stall limit.
    heartbeat = std::make_unique<HeartbeatWriter>(first.out_dir, std::clamp(first.train.stall_floor / 5, 0.2, 2.0));
    if (!first.train.eval.empty()) tasks = std::make_unique<TaskEvaluator>(first);  // bad task data fails here
  }
  for (const TrainJob& j : jobs) {
    JobRun r{&j, EpochSampler(data.train->size(), static_cast<uint64_t>(j.hp.seed))};
    r.pause = j.stop_at > 0 && j.stop_at < total && !trial ? j.stop_at : total;
    r.ckpt = std::make_unique<Checkpointer>(run_files::checkpoint_dir(j.out_dir));
    if (!trial) std::filesystem::create_directories(j.out_dir);
    runs.push_back(std::move(r));
  }
}

void Run::resume() {
  for (size_t j = 0; j < runs.size(); ++j) {
    JobRun& r = runs[j];
    if (trial) continue;
    if (r.job->resume)
      if (auto manifest = tech->load(j, *r.ckpt, [&](const std::string& m) { say("warning: " + m); })) {
        r.step = (*manifest)["step"].get<int64_t>();
        r.resumed = manifest->value("meta", nlohmann::json::object());
        say("resumed " + r.job->id + " from step " + std::to_string(r.step));
      }
    if (leader) r.metrics = std::make_unique<MetricsLog>(run_files::metrics_path(r.job->out_dir), r.step > 0 ? r.step : -1);
  }
  if (comm) comm->barrier();  // every rank has loaded before rank 0 may write a newer checkpoint
  for (JobRun& r : runs) {
    r.active = r.step < r.pause;
    if (r.active || trial || r.step < total) continue;
    // Finished before: result.json may be missing when the last worker was
    // stopped between its final checkpoint and writing it; the final
    // checkpoint carries the result.
    const std::string result = run_files::result_path(r.job->out_dir);
    if (leader && !std::filesystem::exists(result) && r.resumed.contains("result"))
      write_json_atomic(result, r.resumed["result"]);
    say(r.job->id + " is already done (" + std::to_string(total) + " steps)");
  }
}

// Every job's mean loss over the held-out samples (the same for all jobs),
// or nullopt without any.
std::optional<std::vector<double>> Run::evaluate() {
  if (data.valid->size() == 0) return std::nullopt;
  const int64_t n = std::min<int64_t>(first.train.eval_batches * batch, std::max<int64_t>(data.valid->size(), batch));
  const Dataset& valid = *data.valid;
  auto sum = tech->eval_sum({&valid, n, [&](size_t, int64_t q) { return q % valid.size(); }, 0});
  if (comm) comm->all_reduce(sum);
  sum = sum.cpu();
  // The weights' total: the samples, or with masked targets their trained share.
  std::vector<int64_t> idx;
  for (int64_t q = 0; q < n; ++q) idx.push_back(q % valid.size());
  const double weight = static_cast<double>(valid.trained_targets(idx)) / static_cast<double>(valid.tokens_per_sample());
  if (!(weight > 0)) return std::nullopt;
  std::vector<double> out(runs.size());
  for (size_t j = 0; j < runs.size(); ++j) out[j] = sum[static_cast<int64_t>(j)].item<double>() / weight;
  return out;
}

// The eval: tasks due at r's step, scored on its model as the checkpoint
// just saved holds it (the same for every technique): built once, as
// training builds it, with torch's generator put back after, so training's
// random numbers do not change.
nlohmann::json Run::score_tasks(JobRun& r) {
  if (!r.task_model) {
    const auto rng = at::detail::getDefaultCPUGenerator().get_state();
    TrainedJob t{r.job->arch, r.job->config, r.job->from_dir, "", r.job->out_dir, r.job->finetune, r.job->hp.seed};
    r.task_model = build_trained(t);
    at::Generator cpu = at::detail::getDefaultCPUGenerator();
    cpu.set_state(rng);
    r.task_model->to(device);
  }
  if (!r.ckpt->load_weights(r.task_model, [&](const std::string& w) { say("warning: " + w); }))
    throw internal_error("job " + r.job->id + ": no checkpoint to score its eval tasks on");
  return tasks->run(r.task_model, r.step, total, r.pause);
}

// A step's cadence for every job that took it: metrics line, evaluation,
// checkpoint, and result.json when it is the last.
void Run::after_step(bool stopping, bool timed_checkpoint) {
  const double interval = seconds_since(interval_start);
  bool logged = false, evaluate_now = false;
  // Every cadence also falls on a job's last step and on its pause (a rung).
  auto due = [&](int64_t every, const JobRun& r) {
    return (every > 0 && r.step % every == 0) || r.step == total || r.step == r.pause;
  };
  for (JobRun& r : runs) {
    if (!r.active) continue;
    evaluate_now = evaluate_now || due(first.train.eval_every, r);
    if (!leader || !due(first.train.log_every, r)) continue;
    const double samples_per_s = interval > 0 ? static_cast<double>(r.interval_steps * batch) / interval : 0.0;
    nlohmann::json line = {{"step", r.step}, {"loss", r.loss}, {"lr", r.lr}, {"samples_per_s", samples_per_s},
                           {"time", seconds_since(run_start)}};
    if (shape.modality == Modality::Tokens)
      line["tokens_per_s"] = samples_per_s * data.train->trained_per_sample();
    r.metrics->write(line);
    r.interval_steps = 0;
    logged = true;
  }
  if (logged) interval_start = Clock::now();
  if (evaluate_now) beat(HeartbeatWriter::Eval);
  const auto evals = evaluate_now ? evaluate() : std::nullopt;
  bool saved = false;
  double save_s = 0;
  std::vector<JobRun*> finished;
  for (size_t j = 0; j < runs.size(); ++j) {
    JobRun& r = runs[j];
    if (!r.active) continue;
    const bool evaluated = evals && due(first.train.eval_every, r);
    if (evaluated) {
      r.eval = (*evals)[j];
      if (leader) r.metrics->write({{"step", r.step}, {"eval_loss", *r.eval}});
    }
    const bool last = r.step == total;
    // Tasks score the checkpoint's weights: a checkpoint wherever one is due.
    const bool tasks_now = !trial && task_eval_due(first.train, r.step, total, r.pause);
    if (due(first.train.checkpoint_every, r) || stopping || timed_checkpoint || tasks_now) {
      beat(HeartbeatWriter::Checkpoint);
      saved = true;
      // The step's metrics travel with it: a rung decision reads them here.
      nlohmann::json meta = {{"job", r.job->id}, {"samples", r.step * batch}, {"world", world}, {"loss", r.loss}};
      if (evaluated) meta["eval_loss"] = *r.eval;
      if (tech->fused_width() > 0) meta["fused"] = tech->fused_width();
      if (last) meta["result"] = run_files::to_json(result(r));
      const auto t = Clock::now();
      tech->save(j, *r.ckpt, r.step, meta);
      save_s += seconds_since(t);
      if (tasks_now && leader) {
        beat(HeartbeatWriter::Eval);
        const auto t_eval = Clock::now();
        nlohmann::json scores = score_tasks(r);
        // The rung decision reads them from the manifest; the curves from metrics.jsonl.
        r.ckpt->add_meta(r.step, scores);
        nlohmann::json line = {{"step", r.step}};
        line.update(scores);
        line["eval_s"] = seconds_since(t_eval);  // what scoring took (model built, weights loaded, tasks run)
        r.metrics->write(line);
        beat(HeartbeatWriter::Checkpoint);
      }
    }
    if (last) {
      finished.push_back(&r);
    } else if (r.step == r.pause) {
      r.active = false;
      say("paused " + r.job->id + " at step " + std::to_string(r.step) + " (a rung) with a checkpoint");
    }
  }
  if (saved) {
    last_checkpoint = Clock::now();
    last_save_s = save_s;
  }
  beat(HeartbeatWriter::Train);
  if (finished.empty()) return;
  if (comm) comm->barrier();  // every rank is done before result.json says so
  for (JobRun* r : finished) {
    r->active = false;
    if (!leader) continue;
    write_json_atomic(run_files::result_path(r->job->out_dir), run_files::to_json(result(*r)));
    const int64_t others = tech->fused_width() - 1;
    log(r->job->id + " done (" + std::to_string(total) + " steps" +
        (others > 0 ? ", fused with " + std::to_string(others) + " more" : "") + ")");
  }
}

// The steps, until every job is done, a stop, or a trial's end.
int Run::steps() {
  TrialTimer timer(first.trial);
  // The first step starts now: this strategy's fixed cost is the process's
  // start and its own setup, not the strategies timed before it.
  const double startup = trial ? std::max(0.0, seconds_since_process_start() - first.trial.earlier_s) : 0;
  const auto k = static_cast<int64_t>(runs.size());
  const auto on_device = torch::TensorOptions().dtype(torch::kDouble).device(device);
  run_start = interval_start = last_checkpoint = Clock::now();
  std::vector<bool> active(runs.size());
  for (;;) {
    bool any = false;
    for (size_t j = 0; j < runs.size(); ++j) any = (active[j] = runs[j].active) || any;
    if (!any) return 0;
    const auto step_start = Clock::now();
    std::vector<double> lr;
    for (JobRun& r : runs) lr.push_back(r.lr = lr_at(std::min(r.step, total - 1), total, first.train.schedule, r.job->hp));
    tech->set_lr(lr);
    // A finished job's slot still needs a batch: its last one.
    auto index = [&](size_t j, int64_t q) { return runs[j].sampler.at(std::min(runs[j].step, total - 1) * batch + q); };
    auto local = tech->train_step({data.train.get(), batch, index, runs.front().step}, active);
    // [losses, stop, trial done, checkpoint due] in one all-reduce on the
    // communicator's device, read once: rank 0's clock decides a timed
    // checkpoint for every rank.
    const double stop = stop_signal ? static_cast<double>(*stop_signal) : 0.0;
    const double trial_done = trial && leader && timer.done() ? 1.0 : 0.0;
    const double ckpt_due =
        !trial && leader && seconds_since(last_checkpoint) >= checkpoint_interval(first.train, last_save_s) ? 1.0 : 0.0;
    auto stats = torch::cat({local, torch::tensor({stop, trial_done, ckpt_due}, on_device)});
    if (comm) comm->all_reduce(stats);
    if (first.train.grad_clip > 0) tech->clip(first.train.grad_clip);
    tech->update(active);
    stats = stats.cpu();
    for (int64_t j = 0; j < k; ++j) {
      JobRun& r = runs[static_cast<size_t>(j)];
      if (!r.active) continue;
      r.loss = stats[j].item<double>();
      if (!std::isfinite(r.loss)) {
        if (leader && !trial)
          write_json_atomic(run_files::diverged_path(r.job->out_dir),
                            {{"step", r.step + 1}, {"loss", std::to_string(r.loss)}});
        if (runs.size() > 1 && !trial) {  // a fused group goes on without it
          r.active = active[static_cast<size_t>(j)] = false;
          say("warning: job " + r.job->id + ": the loss is " + std::to_string(r.loss) + " at step " +
              std::to_string(r.step + 1) + " (diverged); the fused group goes on without it");
          continue;
        }
        throw data_error("job " + r.job->id + ": the loss is " + std::to_string(r.loss) + " at step " +
                         std::to_string(r.step + 1) + " (diverged; try a lower lr)");
      }
      ++r.step;
      ++r.interval_steps;
    }
    if (trial) {
      timer.record(seconds_since(step_start));
      if (stats[k + 1].item<double>() > 0 || runs.front().step >= total) break;
      continue;
    }
    const bool stopping = stats[k].item<double>() > 0;
    after_step(stopping, stats[k + 2].item<double>() > 0);
    bool unfinished = false;
    for (const JobRun& r : runs) unfinished = unfinished || r.active;
    if (stopping && unfinished) {
      if (comm) comm->barrier();  // the checkpoint is on disk before any rank exits
      const int sig = stop_signal && *stop_signal ? static_cast<int>(*stop_signal) : SIGTERM;
      for (const JobRun& r : runs)
        if (r.active) say("stopped " + r.job->id + " at step " + std::to_string(r.step) + " with a checkpoint");
      return 128 + sig;
    }
  }
  write_trial(first.trial, rank,
              timer.result(device_peak_memory(device, rss_peak() - rss_before), startup, runs.front().loss));
  if (comm) comm->barrier();
  return 0;
}

int train_loop(const std::vector<TrainJob>& jobs, Communicator* comm, const volatile std::sig_atomic_t* stop_signal,
               const std::function<void(const std::string&)>& log) {
  check_compatible(jobs);
  Run run(jobs, comm, stop_signal, log);
  run.open();
  run.resume();
  return run.steps();
}

}  // namespace

namespace {

// A real run's strategy that does not fit: each job's infeasible.json says
// why, so the runner plans it again without that strategy (run_files.h).
void mark_infeasible(const std::vector<TrainJob>& jobs, const std::string& reason) {
  for (const TrainJob& j : jobs) {
    try {
      write_json_atomic(run_files::infeasible_path(j.out_dir), nlohmann::json{{"reason", reason}});
    } catch (const std::exception&) {  // the failure itself still reaches the runner as an exit
    }
  }
}

}  // namespace

int train(const std::vector<TrainJob>& jobs, Communicator* comm, const volatile std::sig_atomic_t* stop_signal,
          const std::function<void(const std::string&)>& log) {
  if (jobs.empty()) return train_loop(jobs, comm, stop_signal, log);
  if (!jobs.front().trial.enabled) {
    try {
      return train_loop(jobs, comm, stop_signal, log);
    } catch (const std::bad_alloc&) {
      mark_infeasible(jobs, "out of memory (the allocator failed)");
      throw;
    } catch (const c10::Error& e) {
      const std::string msg = e.msg().substr(0, e.msg().find('\n'));
      if (is_out_of_memory(msg)) mark_infeasible(jobs, "out of memory: " + msg.substr(0, 200));
      throw;
    }
  }
  const int rank = comm ? comm->rank() : 0;
  const TrialOptions& trial = jobs.front().trial;
  try {
    return train_loop(jobs, comm, stop_signal, log);
  } catch (const std::bad_alloc&) {
    write_trial(trial, rank, infeasible_trial("out of memory (the allocator failed)"));
  } catch (const c10::Error& e) {
    const std::string msg = e.msg().substr(0, e.msg().find('\n'));
    if (!is_out_of_memory(msg)) throw;
    write_trial(trial, rank, infeasible_trial("out of memory: " + msg.substr(0, 200)));
  }
  return kTrialInfeasible;
}

}  // namespace saturn::train
