#include "app/data_view.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "app/text_data.h"
#include "core/error.h"
#include "core/job.h"
#include "core/text.h"
#include "profile/runtime.h"
#include "tokenize/examples.h"
#include "tokenize/records/record_source.h"
#include "tokenize/tokenizer.h"

namespace saturn {
namespace {

// The text with its trained byte ranges marked.
std::string marked(const tok::Rendered& r, const Terminal& term) {
  std::string out;
  size_t at = 0;
  for (const auto& [b, e] : r.trained) {
    out += r.text.substr(at, b - at);
    const std::string span = r.text.substr(b, e - b);
    out += term.color ? term.style(span, "32") : "[[" + span + "]]";
    at = e;
  }
  return out + r.text.substr(at);
}

struct Totals {
  int64_t records = 0, skipped = 0, tokens = 0, trained = 0;
  std::string first_bad;
};

}  // namespace

void show_data(const Workload& w, const DataViewOptions& o, std::ostream& out) {
  if (o.split != "train" && o.split != "valid") throw usage_error("--split: expected train or valid, got \"" + o.split + "\"");
  std::vector<size_t> models;
  for (size_t i = 0; i < w.models.size(); ++i)
    if (o.model.empty() || w.models[i].name == o.model) models.push_back(i);
  if (models.empty()) {
    std::vector<std::string> names;
    for (const ModelSpec& m : w.models) names.push_back(m.name);
    throw usage_error("--model: no model named \"" + o.model + "\" (models: " + join(names, ", ") + ")");
  }
  const JobSet jobs = expand_jobs(w);
  const PreparedData prepared = prepare_text_data(w, jobs, /*write_cache=*/false);
  const std::time_t now = o.now ? o.now : std::time(nullptr);
  bool any = false;
  for (size_t mi : models) {
    const ModelSpec& m = w.models[mi];
    const DataSpec d = w.data_for(m);
    const DataSource* s = o.split == "train" ? &d.train : d.valid ? &*d.valid : nullptr;
    if (!s) {
      if (!o.json)
        out << "model " << m.name << ": no valid source (the validation records are held out of "
            << d.train.path << " by valid_fraction; --split train shows them all)\n";
      continue;
    }
    if (s->format != DataFormat::Jsonl || d.tokenizer.empty()) {
      if (!o.json)
        out << "model " << m.name << ": " << data_format_name(s->format) << " data"
            << (s->path.empty() ? "" : " (" + s->path + ")") << ": not records under a tokenizer; nothing to render\n";
      continue;
    }
    any = true;
    const std::string path = w.resolve(s->path);
    tok::ExampleMaker maker(w.resolve(d.tokenizer), s->jsonl, now);
    tok::Example x;
    Totals t;
    tok::open_records(path, s->jsonl.reader)->each([&](tok::Record& rec) {
      try {
        if (!rec.error.empty()) throw tok::BadRecord(rec.error);
        maker.make(rec.value, rec.where, x);
      } catch (const tok::BadRecord& e) {
        if (!s->jsonl.skip_bad_lines) throw data_error(rec.where + ": " + e.what());
        if (t.skipped++ == 0) t.first_bad = rec.where + ": " + e.what();
        return;
      }
      int64_t trained = 0;
      for (uint8_t b : x.trained) trained += b;
      if (t.records < o.limit) {
        if (o.json) {
          nlohmann::ordered_json j = {{"model", m.name}, {"where", rec.where}, {"text", x.rendered.text},
                                      {"ids", x.ids}, {"trained", x.trained}, {"tokens", x.ids.size()},
                                      {"trained_tokens", trained}};
          out << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
        } else {
          out << o.term.style("model " + m.name + ", " + rec.where, "1") << ": " << count_text(static_cast<int64_t>(x.ids.size()), "token", "tokens")
              << ", " << trained << " trained\n"
              << marked(x.rendered, o.term) << "\n\n";
        }
      }
      ++t.records;
      t.tokens += static_cast<int64_t>(x.ids.size());
      t.trained += trained;
    });
    // Packed sequences and epochs: the first job of the model (its grid shares the data).
    int64_t samples = -1, steps = 0, batch = 0, seq = 0;
    for (const Job& j : jobs.jobs) {
      if (j.model != mi) continue;
      try {
        samples = train_samples(w, j, prepared.counts);
        steps = job_steps(w, j, prepared.counts);
      } catch (const Error&) {
        samples = -1;
      }
      batch = j.hp.batch_size;
      seq = j.config.has("seq_len") ? j.config.integer("seq_len") : 0;
      break;
    }
    const double epochs = samples > 0 ? static_cast<double>(steps) * static_cast<double>(batch) / static_cast<double>(samples) : 0;
    if (o.json) {
      nlohmann::ordered_json totals = {{"records", t.records}, {"skipped", t.skipped}, {"tokens", t.tokens},
                                       {"trained_tokens", t.trained}};
      if (samples >= 0 && o.split == "train") {
        totals["sequences"] = samples;
        totals["seq_len"] = seq;
        totals["epochs"] = epochs;
      }
      out << nlohmann::ordered_json{{"model", m.name}, {"totals", totals}}.dump() << "\n";
      continue;
    }
    out << "model " << m.name << ": " << count_text(t.records, "record", "records") << " in " << s->path;
    if (t.skipped) out << " (" << t.skipped << " skipped; the first: " << t.first_bad << ")";
    out << "; " << count_text(t.tokens, "token", "tokens") << ", " << t.trained << " trained ("
        << format_number(t.tokens ? std::round(1000.0 * static_cast<double>(t.trained) / static_cast<double>(t.tokens)) / 10 : 0)
        << "%)";
    if (samples >= 0 && o.split == "train")
      out << "; " << count_text(samples, "sequence", "sequences") << " of " << seq << " tokens for training; "
          << steps << " steps of " << batch << " are " << format_number(std::round(epochs * 10) / 10) << " epochs";
    out << "\n";
  }
  if (!any && !o.json) out << "no model of " << w.name << " trains on records (formats jsonl, json, csv)\n";
}

}  // namespace saturn
