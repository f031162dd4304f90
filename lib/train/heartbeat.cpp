#include "train/heartbeat.h"

#include <chrono>

#include "core/run_files.h"
#include "train/metrics.h"

namespace saturn::train {

HeartbeatWriter::HeartbeatWriter(std::string job_dir, double period_s) : dir_(std::move(job_dir)), period_s_(period_s) {
  beat();
  thread_ = std::thread([this] { loop(); });
}

HeartbeatWriter::~HeartbeatWriter() {
  {
    std::lock_guard<std::mutex> g(m_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void HeartbeatWriter::set(int64_t step, Phase phase) {
  step_.store(step, std::memory_order_relaxed);
  phase_.store(phase, std::memory_order_relaxed);
}

void HeartbeatWriter::beat() {
  static const char* names[] = {"start", "train", "eval", "checkpoint"};
  run_files::Heartbeat h;
  h.step = step_.load(std::memory_order_relaxed);
  h.phase = names[phase_.load(std::memory_order_relaxed)];
  h.beat = ++beats_;
  try {
    write_json_atomic(run_files::heartbeat_path(dir_), run_files::to_json(h));
  } catch (...) {
  }
}

void HeartbeatWriter::loop() {
  std::unique_lock<std::mutex> lk(m_);
  while (!cv_.wait_for(lk, std::chrono::duration<double>(period_s_), [this] { return done_; })) {
    lk.unlock();
    beat();
    lk.lock();
  }
}

}  // namespace saturn::train
