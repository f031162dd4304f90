#include "app/job_reuse.h"

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/run_files.h"
#include "core/text.h"

namespace saturn {

namespace fs = std::filesystem;

std::string JobReuse::text(const std::string& run_dir) const {
  std::vector<std::string> parts;
  auto count = [](size_t n, const std::string& one, const std::string& many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  if (!reused.empty()) parts.push_back("reuses " + count(reused.size(), "done job", "done jobs"));
  if (!resumed.empty()) parts.push_back("resumes " + count(resumed.size(), "unfinished job", "unfinished jobs"));
  if (!restored.empty())
    parts.push_back("puts back " + count(restored.size(), "job", "jobs") + " left out earlier (" + join(restored, ", ") + ")");
  if (!added.empty()) parts.push_back("adds " + count(added.size(), "new job", "new jobs"));
  if (!changed.empty())
    parts.push_back("trains " + count(changed.size(), "changed job", "changed jobs") + " from scratch (" +
                    join(changed, ", ") + "; the old files are under " + run_dir + "/replaced/)");
  if (!dropped.empty())
    parts.push_back("leaves out " + count(dropped.size(), "job", "jobs") + " no longer in the workload (" +
                    join(dropped, ", ") + "; their files stay)");
  return join(parts, ", ");
}

std::map<std::string, std::string> stored_job_hashes(const RunState& st, const std::string& fingerprint,
                                                     const JobSet& jobs, const std::string& run_dir) {
  std::map<std::string, std::string> out;
  if (auto text = st.meta("job_hashes")) {
    const auto doc = nlohmann::json::parse(*text, nullptr, false);
    if (!doc.is_object()) throw data_error(st.path() + ": job_hashes is not a JSON object");
    for (const auto& [id, h] : doc.items())
      if (h.is_string()) out[id] = h.get<std::string>();
    return out;
  }
  const auto fp = st.meta("fingerprint");
  if (!fp) return out;  // no run yet
  if (*fp != fingerprint)
    throw data_error(run_dir + ": holds a run recorded before saturn kept each job's hash, of other jobs or "
                     "training settings; use --run-dir for a new run, or remove " + run_dir);
  for (const auto& j : jobs.jobs) out[j.id] = j.hash;
  return out;
}

JobReuse reconcile_jobs(const std::map<std::string, std::string>& stored, const std::vector<JobRecord>& records,
                        const JobSet& jobs, const std::function<bool(const std::string&)>& finished) {
  JobReuse r;
  std::map<std::string, const JobRecord*> rec;
  for (const auto& x : records) rec[x.id] = &x;
  std::set<std::string> now;
  for (const auto& j : jobs.jobs) {
    now.insert(j.id);
    auto h = stored.find(j.id);
    if (h == stored.end()) r.added.push_back(j.id);
    else if (h->second != j.hash) r.changed.push_back(j.id);
    else {
      auto x = rec.find(j.id);
      // Without a record in a run that has records: left out earlier.
      if (x == rec.end() && !records.empty()) r.restored.push_back(j.id);
      if (x != rec.end() ? x->second->status == JobStatus::Done : finished && finished(j.id)) r.reused.push_back(j.id);
      else r.resumed.push_back(j.id);
    }
  }
  for (const auto& x : records)
    if (!now.count(x.id)) r.dropped.push_back(x.id);
  return r;
}

std::string replaced_dir(const std::string& run_dir, const std::string& hash, const std::string& job) {
  return run_dir + "/replaced/" + hash + "/" + job;
}

void apply_reuse(RunState& st, const std::string& run_dir, const JobReuse& r,
                 std::map<std::string, std::string> stored, const JobSet& jobs, double now) {
  const bool had_run = !stored.empty();
  for (const auto& id : r.changed) {
    const std::string from = run_files::job_dir(run_dir, id);
    const std::string to = replaced_dir(run_dir, stored.at(id), id);
    std::error_code ec;
    if (fs::exists(from)) {
      fs::create_directories(fs::path(to).parent_path());
      if (fs::exists(to)) fs::remove_all(to);  // the same old content replaced twice: one copy is enough
      fs::rename(from, to, ec);
      if (ec) throw Error(ErrorKind::Unavailable, "cannot move " + from + " to " + to + ": " + ec.message());
      const std::string log = run_files::log_path(run_dir, id);
      if (fs::exists(log)) fs::rename(log, to + "/worker.log", ec);
    }
    JobRecord fresh;
    fresh.id = id;
    st.put_job(fresh);
  }
  for (const auto& id : r.dropped) st.remove_job(id);
  for (const auto& j : jobs.jobs) stored[j.id] = j.hash;
  st.set_meta("job_hashes", nlohmann::json(stored).dump());
  if (had_run && r.edited())
    st.event(now, "edit", "", "the workload was edited: " + r.text(run_dir));
}

}  // namespace saturn
