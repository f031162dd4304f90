#include "workload_text.h"

#include <sstream>
#include "source_dir.h"

namespace saturn::test {

std::string with_lines(int first, int last, const std::string& text, const std::string& base) {
  std::istringstream in(base);
  std::string l, out;
  for (int n = 1; std::getline(in, l); ++n) {
    if (n < first || n > last) out += l + "\n";
    else if (n == first && !text.empty()) out += text + "\n";
  }
  return out;
}

Outcome outcome_of(const std::string& text, bool check_files) {
  LoadOptions o;
  o.check_files = check_files;
  try {
    parse_workload(text, "w.yaml", source_dir() + "/workloads", o);
  } catch (const Error& e) {
    return {e.what(), e.exit_code()};
  }
  return {"ok", 0};
}

}  // namespace saturn::test
