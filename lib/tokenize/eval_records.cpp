#include "tokenize/eval_records.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "tokenize/records/record_source.h"

namespace saturn::tok {
namespace {
using ojson = nlohmann::ordered_json;

const char* kind_of(const ojson& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "true or false";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "a list";
  return "an object";
}

// A record's fields as the task's kind reads them.
EvalRecord record_of(const ojson& r, const EvalTask& t, const std::string& where) {
  auto bad = [&](const std::string& what) { return data_error(where + ": " + what); };
  if (!r.is_object()) throw bad(std::string("expected an object, got ") + kind_of(r));
  EvalRecord out;
  auto p = r.find("prompt");
  if (p == r.end()) throw bad("prompt: missing");
  if (!p->is_string()) throw bad(std::string("prompt: expected a string, got ") + kind_of(*p));
  out.prompt = p->get<std::string>();
  if (out.prompt.empty()) throw bad("prompt: empty (nothing to continue)");
  auto a = r.find("answer");
  if (a == r.end()) throw bad("answer: missing");
  if (t.kind == EvalKind::Generate) {
    if (!a->is_string() && !a->is_number()) throw bad(std::string("answer: expected a string, got ") + kind_of(*a));
    out.answer = a->is_string() ? a->get<std::string>() : a->dump();
    return out;
  }
  auto c = r.find("choices");
  if (c == r.end()) throw bad("choices: missing");
  if (!c->is_array() || c->size() < 2) throw bad("choices: expected a list of two or more strings");
  for (const auto& x : *c) {
    if (!x.is_string()) throw bad(std::string("choices: expected strings, got ") + kind_of(x));
    out.choices.push_back(x.get<std::string>());
  }
  if (a->is_number_integer()) {
    out.right = a->get<int64_t>();
    if (out.right < 0 || out.right >= static_cast<int64_t>(out.choices.size()))
      throw bad("answer: " + std::to_string(out.right) + " is not the index of a choice (0 .. " +
                std::to_string(out.choices.size() - 1) + ")");
  } else if (a->is_string()) {
    auto it = std::find(out.choices.begin(), out.choices.end(), a->get<std::string>());
    if (it == out.choices.end()) throw bad("answer: \"" + a->get<std::string>() + "\" is not one of the choices");
    out.right = it - out.choices.begin();
  } else {
    throw bad(std::string("answer: expected a choice's index or text, got ") + kind_of(*a));
  }
  return out;
}

}  // namespace

std::vector<EvalRecord> read_eval_records(const EvalTask& t) {
  std::vector<EvalRecord> rs;
  open_records(t.data, t.reader)->each([&](Record& rec) {
    if (t.limit > 0 && static_cast<int64_t>(rs.size()) >= t.limit) return;
    if (!rec.error.empty()) throw data_error(rec.where + ": " + rec.error);
    EvalRecord r = record_of(rec.value, t, rec.where);
    r.where = rec.where;
    rs.push_back(std::move(r));
  });
  if (rs.empty()) throw data_error(t.data + ": no records (eval task " + t.name + ")");
  return rs;
}

}  // namespace saturn::tok
