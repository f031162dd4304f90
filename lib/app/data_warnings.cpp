#include "app/data_warnings.h"

#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <variant>

#include "core/error.h"
#include "core/hf_config.h"
#include "core/text.h"
#include "core/units.h"

namespace saturn {
namespace {

constexpr double kMostEpochs = 20;
constexpr int64_t kFewestSequences = 8;

}  // namespace

void check_data_yields(const Workload& w, const JobSet& jobs, const TextTokenCounts& counted) {
  for (const Job& j : jobs.jobs) {
    int64_t samples = 0;
    try {
      samples = train_samples(w, j, counted);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::NoInput) throw;
      continue;  // the data's own checks say why
    }
    if (samples > 0) continue;
    const DataSource& src = w.data_for(w.models[j.model]).train;
    const auto seq = j.config.find("seq_len");
    throw data_error("job " + j.id + ": its training data" + (src.path.empty() ? "" : " (" + src.path + ")") +
                     " holds not one sequence" +
                     (seq && std::holds_alternative<int64_t>(*seq) ? " of seq_len " + std::to_string(std::get<int64_t>(*seq)) : "") +
                     " after the validation split; every step needs one");
  }
}

std::vector<std::string> data_warnings(const Workload& w, const JobSet& jobs, const TextTokenCounts& counted) {
  std::vector<std::string> out;
  std::set<size_t> models_said;
  // model, batch size, steps -> jobs
  std::map<std::tuple<size_t, int64_t, int64_t>, std::vector<const Job*>> groups;
  std::map<const Job*, int64_t> samples_of;
  for (const Job& j : jobs.jobs) {
    int64_t samples = 0, steps = 0;
    try {
      samples = train_samples(w, j, counted);
      steps = job_steps(w, j, counted);
    } catch (const Error&) {
      continue;  // the data's own checks say why
    }
    samples_of[&j] = samples;
    groups[{j.model, j.hp.batch_size, steps}].push_back(&j);
    const ModelSpec& m = w.models[j.model];
    if (m.from.empty() || models_said.count(j.model)) continue;
    models_said.insert(j.model);
    const auto seq = j.config.find("seq_len");
    if (!seq || !std::holds_alternative<int64_t>(*seq)) continue;
    const int64_t seq_len = std::get<int64_t>(*seq);
    try {
      const HfModel hf = read_hf_config(w.resolve(m.from));
      if (hf.config.integer("seq_len") != seq_len || samples >= kFewestSequences) continue;
    } catch (const Error&) {
      continue;
    }
    out.push_back("model " + m.name + ": seq_len " + std::to_string(seq_len) + " is " + m.from +
                  "/config.json's max_position_embeddings, and the training data holds " +
                  count_text(samples, "sequence", "sequences") + " of it; set the model's config.seq_len to the " +
                  "length of your samples (shorter sequences train in a fraction of the time and memory)");
  }
  for (const auto& [key, members] : groups) {
    const auto& [model, batch, steps] = key;
    const int64_t samples = samples_of[members.front()];
    if (samples <= 0 || steps <= 0) continue;
    const std::string who = members.size() == 1 ? "job " + members.front()->id
                                                : count_text(static_cast<int64_t>(members.size()), "job", "jobs") +
                                                      " of model " + w.models[model].name + " with batch size " +
                                                      std::to_string(batch);
    const double epochs = static_cast<double>(steps) * static_cast<double>(batch) / static_cast<double>(samples);
    if (samples < batch)
      out.push_back(who + ": the training data holds " + count_text(samples, "sequence", "sequences") +
                    ", less than one batch of " + std::to_string(batch) + "; every step repeats them");
    else if (epochs > kMostEpochs)
      out.push_back(who + ": " + std::to_string(steps) + " steps x " + std::to_string(batch) + " samples over " +
                    count_text(samples, "sequence", "sequences") + " is " + format_number(std::round(epochs)) +
                    " epochs (more than " + format_number(kMostEpochs) + "); fewer steps or more data");
  }
  return out;
}

}  // namespace saturn
