// saturn profile W.yaml: measure every (shape, technique, device count) the
// workload allows on this machine's devices; store the results; show them.
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/machine_warnings.h"
#include "app/data_warnings.h"
#include "app/text_data.h"
#include "app/weights_check.h"
#include "commands.h"
#include "exec/signals.h"
#include "core/error.h"
#include "core/job.h"
#include "core/text.h"
#include "core/units.h"
#include "core/workload.h"
#include "profile/measure_plan.h"
#include "profile/profiler.h"
#include "profile/view.h"
#include "report/table.h"

namespace saturn::cmd {

struct ProfileCmdOptions {
  std::string workload;   // the workload file
  std::string store;      // profile store; "" = ProfileStore::default_path()
  bool refresh = false;   // re-measure what is stored
  bool show = false;      // print the table only, measure nothing
  bool json = false;      // the table as JSON on stdout
  bool apart = false;     // one process per trial (no batches)
};

namespace {


std::string ms(double s) { return human_duration(s); }

std::string strategy_text(const ProfileKey& k) {
  std::string s = std::string(technique_name(k.technique)) + " x" + std::to_string(k.devices) + " " + k.device;
  if (!k.knobs.empty()) s += " (" + k.knobs + ")";
  return s;
}

std::string pct(double x) { return std::to_string(static_cast<int>(std::lround(x * 100))) + "%"; }

// What `saturn run` (profile: auto) does with each row before it plans:
// measured already, measure it, or why not; "" for a row with no verdict.
std::vector<std::string> verdicts(const std::vector<ProfileRow>& rows, const MeasureChoice* choice) {
  std::vector<std::string> v(rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].entry.source == ProfileSource::Measured) v[i] = "measured";
  if (choice)
    for (const auto& c : choice->candidates) v[c.row] = c.why;
  return v;
}

void print_view(const Workload& w, const JobSet& jobs, const std::vector<ProfileRow>& rows, const MeasureChoice* choice,
                bool json) {
  const auto verdict = verdicts(rows, choice);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) {
      const auto& e = r.entry;
      nlohmann::json j = {{"shape", jobs.shapes[r.shape].id}, {"shape_hash", e.key.shape},
                          {"technique", technique_name(e.key.technique)}, {"knobs", e.key.knobs},
                          {"device", e.key.device}, {"devices", e.key.devices}, {"threads", e.key.threads},
                          {"source", r.source}, {"feasible", e.feasible}};
      if (e.feasible) {
        j["step_time_s"] = e.step_time;
        j["job_runtime_s"] = r.runtime.total();
        j["job_steps"] = r.runtime.steps;
        j["band"] = r.band.width;
        j["band_basis"] = r.band.basis;
        if (!verdict[static_cast<size_t>(&r - rows.data())].empty()) j["auto"] = verdict[static_cast<size_t>(&r - rows.data())];
      } else {
        j["reason"] = e.reason;
      }
      if (e.source == ProfileSource::Measured) {
        j["spread"] = e.spread;
        j["timed_steps"] = e.timed_steps;
      }
      j["peak_memory_bytes"] = e.peak_memory;
      j["accounted_memory_bytes"] = e.accounted_memory;
      out.push_back(j);
    }
    std::cout << nlohmann::json{{"workload", w.name}, {"profiles", out}}.dump(2) << "\n";
    return;
  }
  const Terminal term = Terminal::detect(stdout);
  Table t;
  t.column("shape").column("strategy").column("step", Table::Align::Right).column("band", Table::Align::Right)
      .column("job", Table::Align::Right).column("memory", Table::Align::Right).column("source")
      .column("before a run (profile: auto)");
  for (size_t i = 0; i < rows.size(); ++i) {
    const ProfileRow& r = rows[i];
    const auto& e = r.entry;
    const std::string mem = human_bytes(e.source == ProfileSource::Measured && e.peak_memory > 0 ? e.peak_memory : e.accounted_memory);
    const std::string source = r.band.width > 0 ? r.source + " (" + r.band.basis + ")" : r.source;
    if (e.feasible)
      t.row({jobs.shapes[r.shape].id, strategy_text(e.key), ms(e.step_time), r.band.width > 0 ? "+-" + pct(r.band.width) : "",
             human_duration(r.runtime.total()), mem, source, verdict[i]});
    else
      t.row({jobs.shapes[r.shape].id, strategy_text(e.key), "-", "", "-", mem, r.source + ": " + e.reason, ""});
  }
  std::cout << t.render(term);
}

// The view with auto's verdicts (none when the workload cannot be planned:
// a job no strategy fits, which the view itself shows).
void show(const Workload& w, const JobSet& jobs, const std::vector<DeviceGroup>& groups, const ProfileStore& store,
          const TextTokenCounts& counted, bool cuda_here, bool json) {
  std::optional<WorkloadProblem> wp;
  try {
    wp = workload_problem(w, jobs, groups, store, counted);
    keep_executable(*wp);
  } catch (const Error&) {
    print_view(w, jobs, profile_view(w, jobs, groups, store, counted), nullptr, json);
    return;
  }
  MeasureChoice choice;
  forecast_measurement(w, jobs, *wp, store, cuda_here, ProfileMode::Auto, &choice);
  print_view(w, jobs, wp->view, &choice, json);
}

}  // namespace

static int run_profile_cmd(const ProfileCmdOptions& o) {
  const Workload w = load_workload(o.workload);
  const JobSet jobs = expand_jobs(w);
  const PreparedData prepared = prepare_text_data(w, jobs, !o.show);
  const TextTokenCounts& counted = prepared.counts;
  for (const auto& line : prepared.warnings) std::cerr << "profile: warning: " << line << "\n";
  if (!o.show) {  // what every trial would fail on fails here, once
    check_pretrained_weights(w, true);
    check_data_yields(w, jobs, counted);
  }
  const bool cuda_here = std::filesystem::exists("/dev/nvidiactl");
  const auto groups = device_groups(w, cuda_here);
  if (!o.show)  // measuring here
    for (const auto& line : machine_warnings(w, std::thread::hardware_concurrency(), cuda_here))
      std::cerr << "profile: warning: " << line << "\n";
  const std::string store_path = o.store.empty() ? ProfileStore::default_path() : o.store;
  if (o.show) {  // reads the store (a missing one as empty) and writes nothing
    const auto shown = ProfileStore::read_only(store_path);
    show(w, jobs, groups, *shown, counted, cuda_here, o.json);
    return 0;
  }
  ProfileStore store(store_path);

  const Terminal err = Terminal::detect(stderr);
  ProfileOptions po;
  po.workload_path = o.workload;
  po.saturn = self_executable();
  // Beside the store: removed when no trial failed, else its logs stay there.
  po.scratch = (std::filesystem::absolute(store.path()).parent_path() / ("saturn-profile-" + std::to_string(::getpid()))).string();
  po.refresh = o.refresh;
  po.batches = !o.apart;
  po.cuda_here = cuda_here;
  po.version = SATURN_VERSION;
  StopFlag stop;  // SIGINT, SIGTERM, SIGUSR1: kill the trials, keep what was measured
  po.stop = stop.flag();
  bool bar_shown = false;
  po.on_event = [&](const ProfileEvent& e) {
    const std::string what = jobs.shapes[e.trial->shape].id + " " + strategy_text(e.trial->key);
    std::string line;
    if (e.kind == ProfileEvent::Done && e.entry) {
      const auto& en = *e.entry;
      line = en.feasible ? what + ": " + ms(en.step_time) + "/step, peak " + format_bytes(en.peak_memory) +
                               " (spread " + std::to_string(static_cast<int>(std::lround(en.spread * 100))) + "%, " + std::to_string(en.timed_steps) + " steps)"
                         : what + ": infeasible: " + en.reason;
    } else if (e.kind == ProfileEvent::Skip) {
      line = "skipped: " + e.message;
    } else if (e.kind == ProfileEvent::Fail) {
      line = what + ": failed: " + e.message;
    }
    if (err.tty) {
      if (!line.empty()) std::cerr << "\r\033[K" << line << "\n";
      const int width = 30;
      const int filled = e.total > 0 ? width * e.done / e.total : width;
      std::cerr << "\r\033[K[" << std::string(static_cast<size_t>(filled), '#')
                << std::string(static_cast<size_t>(width - filled), '.') << "] " << e.done << "/" << e.total
                << " trials, " << e.running << " running"
                << (e.eta_s >= 0 ? ", ETA " + human_duration(e.eta_s) : "") << std::flush;
      bar_shown = true;
    } else if (!line.empty()) {
      std::cerr << "profile: [" << e.done << "/" << e.total << "] " << line << "\n";
    }
  };

  const ProfileSummary s = run_profile(w, jobs, store, po);
  if (bar_shown) std::cerr << "\r\033[K";
  std::cerr << "profile: " << s.measured << " measured, " << s.stored << " already stored, " << s.over_budget
            << " over budget, " << s.unavailable << " on devices not here, " << s.failed << " failed; "
            << s.trials << " trials for " << jobs.jobs.size() << " jobs (naive count " << s.naive << ") in "
            << human_duration(s.wall_s)
            << (s.processes > 0 ? " by " + std::to_string(s.processes) + (s.processes == 1 ? " process" : " processes")
                                : std::string())
            << "; store " << store.path() << "\n";
  if (!s.bad_input.empty()) throw data_error(s.bad_input);  // every trial would fail on it
  if (s.interrupted) {
    std::cerr << "profile: interrupted; what was measured is kept\n";
    return 128 + stop.signal();
  }
  show(w, jobs, groups, store, counted, cuda_here, o.json);
  return s.failed > 0 ? static_cast<int>(ErrorKind::TempFail) : 0;
}

void add_profile(CLI::App& app, Action& action) {
  auto o = std::make_shared<ProfileCmdOptions>();
  auto* sub = app.add_subcommand("profile", "Measure each job shape under each technique and device count; store it");
  sub->add_option("workload", o->workload, "Workload file (YAML, see saturn-workload(5))")->required();
  sub->add_option("--store", o->store, "Profile store (SQLite; default $XDG_CACHE_HOME/saturn/profiles.db)");
  sub->add_flag("--refresh", o->refresh, "Measure again what the store already has");
  sub->add_flag("--show", o->show, "Print the profiles (stored, else estimated) without measuring");
  sub->add_flag("--json", o->json, "Print the profiles as JSON on stdout");
  sub->add_flag("--process-per-trial", o->apart,
                "Time each strategy in a process of its own (default: one process times a shape's strategies on "
                "the same devices, starting once)");
  sub->callback([o, &action] { action = [o] { return run_profile_cmd(*o); }; });
}

}  // namespace saturn::cmd
