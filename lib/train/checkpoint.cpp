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
#include "core/stream_hash.h"
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

// Writes what `produce` emits to `path` atomically: temporary name, fsync,
// rename. On any failure the temporary file is removed and the path is left
// as it was. Returns the bytes' checksum (StreamHash); the bytes are never
// all in memory at once.
using Sink = std::function<bool(const void*, size_t)>;  // false: a write failed (later ones are skipped)
StreamHash write_atomic(const std::string& path, const std::function<void(const Sink&)>& produce) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw io_error(tmp, "cannot write checkpoint");
  StreamHash hash;
  int err = 0;
  auto sink = [&](const void* data, size_t n) {
    const auto* p = static_cast<const char*>(data);
    if (err != 0) return false;
    hash.update(p, n);
    for (size_t done = 0; done < n && err == 0;) {
      const ssize_t w = ::write(fd, p + done, n - done);
      if (w > 0) done += static_cast<size_t>(w);
      else if (w < 0 && errno != EINTR) err = errno;
    }
    return err == 0;
  };
  try {
    produce(sink);
  } catch (const c10::Error& e) {  // the archive writer gives up on a short write
    if (err == 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      throw;
    }
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
  return hash;
}

void write_atomic(const std::string& path, const std::string& bytes) {
  write_atomic(path, [&](const Sink& sink) { sink(bytes.data(), bytes.size()); });
}

// The file's size and checksum, read in pieces.
std::pair<uint64_t, std::string> file_hash(const std::string& path, bool fnv) {
  std::ifstream in(path, std::ios::binary);
  if (fnv) {  // manifests written before StreamHash: the whole file at once, as they were
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string data = ss.str();
    return {data.size(), content_hash(data)};
  }
  StreamHash h;
  std::vector<char> buf(8 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  return {h.bytes(), h.hex()};
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
  const std::string base = dir_ + "/" + stem(step);
  const StreamHash hash = write_atomic(base + ".pt", [&](const Sink& sink) {
    // Always "written": a short count makes torch's writer throw from its
    // destructor (terminate); a failed write is reported after the archive.
    archive.save_to([&](const void* data, size_t n) -> size_t {
      sink(data, n);
      return n;
    });
  });
  nlohmann::json manifest = {{"step", step},
                             {"file", stem(step) + ".pt"},
                             {"bytes", hash.bytes()},
                             {"mix64x4", hash.hex()},
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

void Checkpointer::add_meta(int64_t step, const nlohmann::json& extra) {
  const std::string path = dir_ + "/" + stem(step) + ".json";
  auto manifest = nlohmann::json::parse(read_all(path), nullptr, false);
  if (!manifest.is_object()) throw data_error(path + ": unreadable manifest");
  if (!manifest["meta"].is_object()) manifest["meta"] = nlohmann::json::object();
  for (const auto& [k, v] : extra.items()) manifest["meta"][k] = v;
  write_atomic(path, manifest.dump(2) + "\n");
}

std::optional<nlohmann::json> Checkpointer::newest(
    const std::function<bool(const std::string& path, std::string* why)>& use,
    const std::function<void(const std::string&)>& warn) {
  for (int64_t step : manifests(dir_)) {
    const std::string base = dir_ + "/" + stem(step);
    auto manifest = nlohmann::json::parse(read_all(base + ".json"), nullptr, false);
    const bool fnv = manifest.is_object() && manifest.contains("fnv1a64") && manifest["fnv1a64"].is_string();
    const char* key = fnv ? "fnv1a64" : "mix64x4";
    if (!manifest.is_object() || !manifest.contains(key) || !manifest[key].is_string() || !manifest.contains("bytes") ||
        !manifest["bytes"].is_number_unsigned()) {
      warn(base + ".json: unreadable manifest; trying an older checkpoint");
      continue;
    }
    const auto [bytes, hash] = file_hash(base + ".pt", fnv);
    if (bytes != manifest["bytes"].get<uint64_t>()) {
      warn(base + ".pt: " + std::to_string(bytes) + " bytes, expected " +
           std::to_string(manifest["bytes"].get<uint64_t>()) + " (truncated); trying an older checkpoint");
      continue;
    }
    if (hash != manifest[key].get<std::string>()) {
      warn(base + ".pt: checksum mismatch (corrupted); trying an older checkpoint");
      continue;
    }
    std::string why;
    if (!use(base + ".pt", &why)) {
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
      [&](const std::string& path, std::string* why) {
        try {
          torch::serialize::InputArchive archive;
          archive.load_from(path);
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
      [&](const std::string& path, std::string* why) {
        try {
          torch::serialize::InputArchive archive, m;
          archive.load_from(path);
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
