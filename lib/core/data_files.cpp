#include "core/data_files.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace saturn {
namespace fs = std::filesystem;
namespace {

const char* const kReaders[][2] = {
    {"jsonl", ".jsonl"}, {"json", ".json"}, {"csv", ".csv"}, {"parquet", ".parquet"}, {"arrow", ".arrow"}};

bool ends_with(const std::string& s, const char* e) {
  const size_t n = std::strlen(e);
  return s.size() > n && s.compare(s.size() - n, n, e) == 0;
}

std::string reader_of_name(const std::string& name) {
  for (const auto& [reader, ext] : kReaders)
    if (ends_with(name, ext)) return reader;
  return "";
}

std::string extension_of(const std::string& reader) {
  for (const auto& [r, ext] : kReaders)
    if (reader == r) return ext;
  return "";
}

bool is_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_folder(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string read_small(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw no_input_error(path + ": cannot read");
  return s;
}

// A save_to_disk folder's Arrow files, from its state.json.
std::vector<std::string> datasets_files(const std::string& dir) {
  const std::string state = (fs::path(dir) / "state.json").string();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_small(state));
  } catch (const nlohmann::json::exception&) {
    throw data_error(state + ": not JSON (a datasets save_to_disk folder's state.json)");
  }
  const auto files = j.is_object() ? j.find("_data_files") : j.end();
  if (!j.is_object() || files == j.end() || !files->is_array() || files->empty())
    throw data_error(state + ": no _data_files list (not a datasets save_to_disk folder)");
  std::vector<std::string> out;
  for (const auto& f : *files) {
    const auto name = f.is_object() ? f.find("filename") : f.end();
    if (!f.is_object() || name == f.end() || !name->is_string() || name->get<std::string>().find('/') != std::string::npos)
      throw data_error(state + ": _data_files: expected {filename: NAME} entries in the folder");
    const std::string p = (fs::path(dir) / name->get<std::string>()).string();
    if (!is_file(p)) throw no_input_error(p + ": no such file (listed in " + state + ")");
    out.push_back(p);
  }
  return out;
}

void check_not_dataset_dict(const std::string& dir) {
  const std::string dd = (fs::path(dir) / "dataset_dict.json").string();
  if (!is_file(dd)) return;
  std::string splits;
  try {
    const auto j = nlohmann::json::parse(read_small(dd));
    for (const auto& s : j.at("splits")) splits += (splits.empty() ? "" : ", ") + s.get<std::string>();
  } catch (const nlohmann::json::exception&) {
  }
  throw data_error(dir + ": a datasets DatasetDict folder" + (splits.empty() ? "" : " (splits " + splits + ")") +
                   ": name one split's folder, e.g. " + (fs::path(dir) / "train").string());
}

std::vector<std::string> folder_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) out.push_back(e.path().string());
  if (ec) throw no_input_error(dir + ": cannot list the folder: " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

bool is_data_glob(const std::string& path) {
  return path.find_first_of("*?[") != std::string::npos && !is_file(path) && !is_folder(path);
}

std::vector<std::string> data_files(const std::string& path, const std::string& reader) {
  if (is_file(path)) return {path};
  if (is_folder(path)) {
    check_not_dataset_dict(path);
    if (is_file((fs::path(path) / "state.json").string())) return datasets_files(path);
    const std::string ext = extension_of(reader);
    std::vector<std::string> out;
    for (auto& f : folder_files(path))
      if (!ext.empty() && ends_with(f, ext.c_str())) out.push_back(std::move(f));
    if (out.empty())
      throw no_input_error(path + ": no " + (ext.empty() ? reader : "*" + ext) + " files in the folder");
    return out;
  }
  if (is_data_glob(path)) {
    glob_t g{};
    const int rc = ::glob(path.c_str(), 0, nullptr, &g);
    std::vector<std::string> out;
    for (size_t i = 0; rc == 0 && i < g.gl_pathc; ++i)
      if (is_file(g.gl_pathv[i])) out.emplace_back(g.gl_pathv[i]);
    ::globfree(&g);
    if (out.empty()) throw no_input_error(path + ": no file matches");
    std::sort(out.begin(), out.end());
    return out;
  }
  throw no_input_error(path + ": no such file or folder");
}

std::string detect_reader(const std::string& path) {
  if (std::string r = reader_of_name(path); !r.empty()) return r;
  if (ends_with(path, ".txt") || ends_with(path, ".md")) return "text";
  std::string first;
  if (is_folder(path)) {
    if (is_file((fs::path(path) / "state.json").string())) return "arrow";
    std::string kind;
    for (const auto& f : folder_files(path)) {
      std::string r = reader_of_name(f);
      if (r.empty() && (ends_with(f, ".txt") || ends_with(f, ".md"))) r = "text";
      if (r.empty()) continue;
      if (!kind.empty() && r != kind) return "";
      kind = r;
    }
    return kind;
  }
  if (is_file(path)) first = path;
  else if (is_data_glob(path)) {
    try {
      first = data_files(path, "").front();
    } catch (const Error&) {
      return "";
    }
    if (std::string r = reader_of_name(first); !r.empty()) return r;
  }
  if (first.empty()) return "";
  char head[8] = {};
  std::ifstream in(first, std::ios::binary);
  in.read(head, sizeof head);
  const std::streamsize n = in.gcount();
  if (n >= 4 && std::memcmp(head, "PAR1", 4) == 0) return "parquet";
  if (n >= 6 && std::memcmp(head, "ARROW1", 6) == 0) return "arrow";
  if (n >= 4 && std::memcmp(head, "\xff\xff\xff\xff", 4) == 0) return "arrow";
  return "";
}

bool is_json_list_of_objects(const std::string& path) {
  std::string bytes;
  try {
    bytes = read_small(path);
  } catch (const Error&) {
    return false;
  }
  const auto j = nlohmann::json::parse(bytes, nullptr, false);
  return j.is_array() && std::all_of(j.begin(), j.end(), [](const auto& x) { return x.is_object(); });
}

}  // namespace saturn
