// Workload's own functions: paths as written, the data a model trains on, its pinned chat time.
#include <sys/stat.h>

#include "workload.h"

namespace saturn {

DataSpec with_folder_tokenizer(DataSpec d, const std::string& from, const std::string& base_dir) {
  auto tokenized = [](const DataSource& s) { return s.format == DataFormat::Text || s.format == DataFormat::Jsonl; };
  const bool text = tokenized(d.train) || (d.valid && tokenized(d.valid.value()));
  if (text && d.tokenizer.empty() && !from.empty()) {
    const std::string t = from + "/tokenizer.json";
    struct stat st {};
    if (::stat(resolve_path(base_dir, t).c_str(), &st) == 0 && S_ISREG(st.st_mode)) d.tokenizer = t;
  }
  return d;
}

DataSpec Workload::data_for(const ModelSpec& m) const {
  return with_folder_tokenizer(m.data ? *m.data : data, m.from, base_dir);
}

void Workload::pin_chat_time(int64_t seconds) {
  data.chat_time = seconds;
  for (auto& m : models)
    if (m.data) m.data->chat_time = seconds;
}

std::string resolve_path(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p[0] == '/' || base_dir.empty()) return p;
  return base_dir + "/" + p;
}

}  // namespace saturn
