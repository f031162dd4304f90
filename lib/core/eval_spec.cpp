#include "core/eval_spec.h"

#include "core/text.h"

namespace saturn {

const char* eval_kind_name(EvalKind k) { return k == EvalKind::Choice ? "choice" : "generate"; }

const std::vector<std::string>& eval_metrics(EvalKind k) {
  static const std::vector<std::string> generate = {"exact_match", "contains"};
  static const std::vector<std::string> choice = {"accuracy", "accuracy_norm"};
  return k == EvalKind::Choice ? choice : generate;
}

const std::vector<std::string>& eval_normalizations() {
  static const std::vector<std::string> all = {"strip", "lower", "number"};
  return all;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The first number of `s` ("-12", "3.50", "1,234"): sign, digits (commas
// between digit groups dropped), a fraction; trailing zeros and point gone.
std::string first_number(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!is_digit(s[i])) continue;
    const bool negative = i > 0 && s[i - 1] == '-';
    std::string whole, frac;
    size_t j = i;
    while (j < s.size() && (is_digit(s[j]) || (s[j] == ',' && j + 1 < s.size() && is_digit(s[j + 1]) && !whole.empty())))
      if (s[j++] != ',') whole += s[j - 1];
    if (j + 1 < s.size() && s[j] == '.' && is_digit(s[j + 1])) {
      ++j;
      while (j < s.size() && is_digit(s[j])) frac += s[j++];
    }
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    size_t lead = 0;
    while (lead + 1 < whole.size() && whole[lead] == '0') ++lead;
    whole = whole.substr(lead);
    std::string out = whole + (frac.empty() ? "" : "." + frac);
    if (negative && out != "0") out = "-" + out;
    return out;
  }
  return "";
}

}  // namespace

std::string normalize_answer(const std::string& text, const std::vector<std::string>& steps) {
  std::string s = text;
  for (const auto& step : steps) {
    if (step == "strip") {
      size_t a = 0, b = s.size();
      while (a < b && is_space(s[a])) ++a;
      while (b > a && is_space(s[b - 1])) --b;
      s = s.substr(a, b - a);
    } else if (step == "lower") {
      for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    } else if (step == "number") {
      s = first_number(s);
    }
  }
  return s;
}

bool answer_matches(const EvalTask& t, const std::string& completion, const std::string& answer) {
  const std::string c = normalize_answer(completion, t.normalize), a = normalize_answer(answer, t.normalize);
  if (t.metric == "contains") return !a.empty() && c.find(a) != std::string::npos;
  return c == a;
}

std::string canonical(const std::vector<EvalTask>& tasks) {
  std::string out;
  for (const auto& t : tasks)
    out += "{name=" + t.name + ",data=" + t.data + ",reader=" + t.reader + ",kind=" + eval_kind_name(t.kind) +
           ",metric=" + t.metric + ",normalize=" + join(t.normalize, "+") + ",max_new_tokens=" +
           std::to_string(t.max_new_tokens) + ",limit=" + std::to_string(t.limit) + ",every=" + std::to_string(t.every) + "}";
  return out;
}

}  // namespace saturn
