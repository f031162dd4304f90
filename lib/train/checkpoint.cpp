#include "train/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/hash.h"
#include "core/run_files.h"

namespace saturn::train {
namespace fs = std::filesystem;
namespace {

void fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw io_error(path, "cannot open to sync");
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL) throw io_error(path, "cannot sync checkpoint", err);  // EINVAL: no fsync there (a folder on some file systems)
}

// Writes `bytes` to `path` atomically: temporary name, fsync, rename. On any
// failure the temporary file is removed and the path is left as it was.
void write_atomic(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw io_error(tmp, "cannot write checkpoint");
  size_t done = 0;
  int err = 0;
  while (done < bytes.size() && err == 0) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n > 0) done += static_cast<size_t>(n);
    else if (n < 0 && errno != EINTR) err = errno;
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    throw io_error(tmp, "cannot write checkpoint", err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    ::unlink(tmp.c_str());
    throw io_error(path, "cannot write checkpoint", err);
  }
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string stem(int64_t step) { return run_files::checkpoint_stem(step); }
std::vector<int64_t> manifests(const std::string& dir) { return run_files::checkpoint_steps(dir); }

// Module::save and Module::load for the parameters that train and the
// buffers: a frozen parameter (a LoRA job's base, a bias-free LayerNorm's
// zero bias) is rebuilt from the model's source, never stored.
void save_trainable(const torch::nn::Module& m, torch::serialize::OutputArchive& out) {
  for (const auto& p : m.named_parameters(/*recurse=*/false))
    if (p.value().requires_grad()) out.write(p.key(), p.value());
  for (const auto& b : m.named_buffers(/*recurse=*/false))
    if (b.value().defined()) out.write(b.key(), b.value(), /*is_buffer=*/true);
  for (const auto& c : m.named_children()) {
    torch::serialize::OutputArchive sub;
    save_trainable(*c.value(), sub);
    out.write(c.key(), sub);
  }
}

void load_trainable(torch::nn::Module& m, torch::serialize::InputArchive& in) {
  for (auto& p : m.named_parameters(/*recurse=*/false))
    if (p.value().requires_grad()) in.read(p.key(), p.value());
  for (auto& b : m.named_buffers(/*recurse=*/false))
    if (b.value().defined()) in.read(b.key(), b.value(), /*is_buffer=*/true);
  for (auto& c : m.named_children()) {
    torch::serialize::InputArchive sub;
    in.read(c.key(), sub);
    load_trainable(*c.value(), sub);
  }
}

}  // namespace

void Checkpointer::save(int64_t step, BlockModel& model, torch::optim::Optimizer& opt, const nlohmann::json& meta) {
  fs::create_directories(dir_);
  torch::serialize::OutputArchive archive;
  {
    torch::serialize::OutputArchive m;
    save_trainable(*model, m);
    archive.write("model", m);
  }
  {
    torch::serialize::OutputArchive o;
    opt.save(o);
    archive.write("optimizer", o);
  }
  archive.write("rng", at::detail::getDefaultCPUGenerator().get_state());
  std::ostringstream bytes;
  archive.save_to(bytes);
  const std::string data = bytes.str();
  const std::string base = dir_ + "/" + stem(step);
  write_atomic(base + ".pt", data);
  nlohmann::json manifest = {{"step", step},
                             {"file", stem(step) + ".pt"},
                             {"bytes", data.size()},
                             {"fnv1a64", content_hash(data)},
                             {"meta", meta}};
  try {
    write_atomic(base + ".json", manifest.dump(2) + "\n");
    fsync_path(dir_);
  } catch (const Error&) {
    ::unlink((base + ".pt").c_str());  // no manifest, no checkpoint: the older ones stand
    throw;
  }
  auto steps = manifests(dir_);
  for (size_t i = static_cast<size_t>(keep_); i < steps.size(); ++i) {
    const std::string old = dir_ + "/" + stem(steps[i]);
    fs::remove(old + ".json");  // the manifest first: a half-deleted checkpoint is never taken as whole
    fs::remove(old + ".pt");
  }
}

std::optional<nlohmann::json> Checkpointer::newest(
    const std::function<bool(const std::string& data, std::string* why)>& use,
    const std::function<void(const std::string&)>& warn) {
  for (int64_t step : manifests(dir_)) {
    const std::string base = dir_ + "/" + stem(step);
    auto manifest = nlohmann::json::parse(read_all(base + ".json"), nullptr, false);
    if (!manifest.is_object() || !manifest.contains("fnv1a64") || !manifest.contains("bytes")) {
      warn(base + ".json: unreadable manifest; trying an older checkpoint");
      continue;
    }
    const std::string data = read_all(base + ".pt");
    if (data.size() != manifest["bytes"].get<size_t>()) {
      warn(base + ".pt: " + std::to_string(data.size()) + " bytes, expected " +
           std::to_string(manifest["bytes"].get<size_t>()) + " (truncated); trying an older checkpoint");
      continue;
    }
    if (content_hash(data) != manifest["fnv1a64"].get<std::string>()) {
      warn(base + ".pt: checksum mismatch (corrupted); trying an older checkpoint");
      continue;
    }
    std::string why;
    if (!use(data, &why)) {
      warn(base + ".pt: cannot be loaded (" + why + "); trying an older checkpoint");
      continue;
    }
    return manifest;
  }
  return std::nullopt;
}

std::optional<nlohmann::json> Checkpointer::load_latest(BlockModel& model, torch::optim::Optimizer& opt,
                                                        const std::function<void(const std::string&)>& warn) {
  return newest(
      [&](const std::string& data, std::string* why) {
        try {
          torch::serialize::InputArchive archive;
          std::istringstream in(data);
          archive.load_from(in);
          torch::serialize::InputArchive m, o;
          archive.read("model", m);
          load_trainable(*model, m);
          archive.read("optimizer", o);
          opt.load(o);
          torch::Tensor rng;
          archive.read("rng", rng);
          at::Generator gen = at::detail::getDefaultCPUGenerator();
          gen.set_state(rng);
        } catch (const c10::Error& e) {
          *why = e.msg().substr(0, e.msg().find('\n'));
          return false;
        }
        return true;
      },
      warn);
}

std::optional<nlohmann::json> Checkpointer::load_weights(BlockModel& model,
                                                         const std::function<void(const std::string&)>& warn) {
  return newest(
      [&](const std::string& data, std::string* why) {
        try {
          torch::serialize::InputArchive archive, m;
          std::istringstream in(data);
          archive.load_from(in);
          archive.read("model", m);
          load_trainable(*model, m);
        } catch (const c10::Error& e) {
          *why = e.msg().substr(0, e.msg().find('\n'));
          return false;
        }
        return true;
      },
      warn);
}

}  // namespace saturn::train
