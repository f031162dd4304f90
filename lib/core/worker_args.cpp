#include "core/worker_args.h"

#include <CLI/CLI.hpp>

#include "core/error.h"
#include "core/run_files.h"
#include "core/text.h"

namespace saturn {

void WorkerArgs::apply_knobs(const std::string& knobs) {
  if (auto m = knob_value(knobs, "micro")) micro_batches = std::stoll(*m);
  if (auto m = knob_value(knobs, "mb")) micro_batch = std::stoll(*m);
  if (auto g = knob_value(knobs, "group")) group_blocks = std::stoll(*g);
  if (knob_value(knobs, "recompute") == "0") no_recompute = true;
  if (knob_value(knobs, "offload") == "1") offload = true;
  if (knob_value(knobs, "schedule") == "gpipe") gpipe = true;
}

std::string WorkerArgs::strategy_text(Technique t, const std::string& knobs) {
  return std::string(technique_name(t)) + (knobs.empty() ? "" : ":" + knobs);
}

WorkerArgs WorkerArgs::setting(size_t i) const {
  WorkerArgs s = *this;
  s.also.clear();
  if (i == 0) return s;
  if (i > also.size()) throw usage_error("--also: no setting " + std::to_string(i));
  const std::string& text = also[i - 1];
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon), knobs = colon == std::string::npos ? "" : text.substr(colon + 1);
  s.technique = parse_technique(name);
  if (!s.technique)
    throw usage_error("--also: " + saturn::quoted(text) + " is not a strategy the engine runs (" +
                      join(technique_names(), ", ") + ", then :knobs)");
  const WorkerArgs defaults;
  s.group_blocks = defaults.group_blocks;
  s.micro_batches = defaults.micro_batches;
  s.gpipe = defaults.gpipe;
  s.no_recompute = defaults.no_recompute;
  s.offload = defaults.offload;
  s.micro_batch = defaults.micro_batch;
  s.copies = 0;
  s.apply_knobs(knobs);
  if (*s.technique == Technique::Fused) s.copies = knob_value(knobs, "k") ? std::stoll(*knob_value(knobs, "k")) : 1;
  s.run_dir = run_files::trial_setting_dir(run_dir, i);
  return s;
}

std::vector<std::string> WorkerArgs::to_argv(const std::string& saturn) const {
  std::vector<std::string> a = {saturn, "worker", workload};
  for (const auto& j : jobs) a.insert(a.end(), {"--job", j});
  a.insert(a.end(), {"--run-dir", run_dir, "--devices", join(devices, ",")});
  auto num = [&](const char* flag, int64_t v, bool given) {
    if (given) a.insert(a.end(), {flag, std::to_string(v)});
  };
  auto flag = [&](const char* name, bool on) {
    if (on) a.push_back(name);
  };
  num("--rank", rank, rank >= 0);
  if (!rendezvous.empty()) a.insert(a.end(), {"--rendezvous", rendezvous});
  if (!backend.empty()) a.insert(a.end(), {"--backend", backend});
  if (technique) a.insert(a.end(), {"--technique", technique_name(*technique)});
  num("--group-blocks", group_blocks, group_blocks != 1);
  num("--micro-batches", micro_batches, micro_batches > 0);
  flag("--gpipe", gpipe);
  flag("--no-recompute", no_recompute);
  flag("--offload", offload);
  num("--copies", copies, copies > 0);
  num("--steps", steps, steps > 0);
  num("--stop-at", stop_at, stop_at > 0);
  num("--micro-batch", micro_batch, micro_batch > 0);
  num("--threads", threads, threads > 0);
  flag("--no-resume", !resume);
  flag("--trial", trial);
  for (const auto& s : also) a.insert(a.end(), {"--also", s});
  flag("--slurm-step", slurm_step);
  num("--chat-time", chat_time, chat_time > 0);
  return a;
}

void WorkerArgs::bind(CLI::App& sub) {
  sub.add_option("workload", workload, "Workload file")->required();
  sub.add_option("--job", jobs, "Job id (see saturn jobs); with --technique fused, once per fused job")
      ->required()
      ->take_all();
  sub.add_option("--run-dir", run_dir, "Run directory; the job writes to RUN_DIR/jobs/JOB/")->required();
  sub.add_option("--devices", devices_text_, "Comma-separated devices, one per rank: cpu or cuda:N (default cpu)");
  sub.add_option("--rank", rank, "This process's rank (set by the launcher)");
  sub.add_option("--rendezvous", rendezvous, "Rendezvous file shared by the ranks (set by the launcher)");
  sub.add_option("--backend", backend, "Collectives: shm or nccl (default: nccl on cuda, shm on cpu)");
  sub.add_option("--technique", technique_text_,
                 "single, ddp, fsdp, pipeline, spill, or fused (several --job on one device; default: single on one "
                 "device, ddp on more)");
  sub.add_option("--micro-batches", micro_batches, "pipeline: micro-batches per step (default 2 x stages)");
  sub.add_option("--group-blocks", group_blocks, "fsdp, spill: blocks gathered or copied together (default 1)");
  sub.add_flag("--gpipe", gpipe, "pipeline: GPipe schedule (every forward, then every backward) instead of 1F1B");
  sub.add_option("--copies", copies, "fused trial: fuse this many copies of the job (seeds seed, seed+1, ...)");
  sub.add_flag("--no-recompute", no_recompute, "fsdp, spill: keep activations instead of recomputing them in backward");
  sub.add_flag("--offload", offload, "fsdp: keep shards, gradients and optimizer state in host memory");
  sub.add_option("--steps", steps, "Train this many steps instead of the workload's");
  sub.add_option("--stop-at", stop_at, "Stop at this step with an evaluation and a checkpoint (a rung), exit 0");
  sub.add_option("--micro-batch", micro_batch, "Samples per forward pass per rank (gradient accumulation)");
  sub.add_option("--threads", threads, "Intra-op threads per rank (default: the workload's cpu threads)");
  sub.add_flag_callback("--no-resume", [this] { resume = false; }, "Start from scratch even when checkpoints exist");
  sub.add_flag("--slurm-step", slurm_step,
               "One task of a Slurm job step (srun -n<devices>): rank from SLURM_PROCID, GPUs from what the task sees");
  sub.add_option("--chat-time", chat_time,
                 "What chat templates' strftime_now reads, in seconds since the epoch (the run's pinned time)");
  sub.add_flag("--trial", trial, "Profiling trial: time steps until stable, write RUN_DIR/trial/rank-N.json, nothing else");
  sub.add_option("--also", also,
                 "trial: a further strategy to time in this process, after the first (TECHNIQUE or TECHNIQUE:KNOBS, "
                 "e.g. fsdp:recompute=0; repeatable); its files go to RUN_DIR/also-N/")
      ->take_all();
}

void WorkerArgs::finish() {
  devices.clear();
  size_t start = 0;
  while (start <= devices_text_.size()) {
    size_t comma = devices_text_.find(',', start);
    if (comma == std::string::npos) comma = devices_text_.size();
    devices.push_back(devices_text_.substr(start, comma - start));
    start = comma + 1;
  }
  technique.reset();
  if (!technique_text_.empty()) {
    technique = parse_technique(technique_text_);
    if (!technique)
      throw usage_error("--technique: " + saturn::quoted(technique_text_) + " is not one the engine runs (" +
                        join(technique_names(), ", ") + ")");
  }
  devices_text_ = "cpu";
  technique_text_.clear();
}

WorkerArgs WorkerArgs::parse(const std::vector<std::string>& args) {
  WorkerArgs w;
  CLI::App app("saturn worker", "worker");
  w.bind(app);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw usage_error(std::string("saturn worker: ") + e.what());
  }
  w.finish();
  return w;
}

}  // namespace saturn
