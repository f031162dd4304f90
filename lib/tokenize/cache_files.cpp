#include "tokenize/cache_files.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "core/error.h"

namespace saturn::tok {

std::string read_all(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw no_input_error(path + ": cannot read (" + what + ")");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string stat_text(const std::vector<std::string>& files) {
  std::string out;
  for (const auto& f : files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) return "";
    out += f + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec) + "|";
  }
  return out;
}

}  // namespace saturn::tok
