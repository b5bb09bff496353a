#pragma once
// Background jobs (customer imports and exports): submitted through the API,
// run one at a time on the job thread, their progress stored in the `jobs`
// table so that any request (and the WebSocket, as job.* events) can follow
// them. A job's file (an export, an import's report) lives under
// <data>/jobs/<tenant>/ and is removed after the retention period.

#include <boost/json/object.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "store/store.h"

namespace ting::jobs {

struct Job {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string kind;    // "customer_import", "customer_export"
  std::string status;  // queued, running, done, failed
  std::optional<std::int64_t> created_by;
  std::int64_t done = 0;  // units of `total` (rows, bytes) finished
  std::int64_t total = 0;
  boost::json::object result;
  std::string error;
  std::string file_path;  // empty: none (or removed)
  UnixMillis created_at = 0;
  UnixMillis updated_at = 0;
  std::optional<UnixMillis> finished_at;
};

// Without the file's path (an internal detail): has_file says whether it can
// be downloaded.
boost::json::object toJson(const Job& job);

// What a running job reports through; progress is written at most every
// `interval` (and at the end).
class Progress {
 public:
  // `dir`: where job files go (<data>/jobs).
  Progress(store::Store& store, const Job& job, std::string dir,
           std::chrono::milliseconds interval);
  void report(std::int64_t done, std::int64_t total);
  // Where the job's file goes: <dir>/<tenant>/<job id>-<name>.
  const std::string& fileFor(const std::string& name);
  const std::string& file() const { return file_; }

 private:
  friend class JobRunner;
  store::Store& store_;
  Job job_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_write_{};
  std::string dir_;
  std::string file_;
};

// A job's work: returns its result (shown as `result`) or an error (the job
// fails with its message). The file it wrote, if any, is progress.file().
using JobFn = std::function<Result<boost::json::object>(Progress&)>;

struct RunnerOptions {
  std::chrono::milliseconds progress_interval{500};
  std::chrono::hours file_retention{24 * 7};
  std::size_t max_queued = 16;  // per tenant; more answers 503
};

class JobRunner {
 public:
  // `dir`: <data>/jobs.
  JobRunner(store::Store& store, std::string dir, RunnerOptions options = {});
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Marks jobs a previous run left queued or running as failed, removes
  // expired files, then starts the job thread.
  Status start();
  void stop();  // lets the running job finish; queued ones fail as interrupted

  // Queues `fn` as a job of `kind` for the actor's tenant; the job row is
  // returned (status queued). kUnavailable when the tenant has too many queued.
  Result<Job> submit(const store::Actor& actor, const std::string& kind, JobFn fn);

 private:
  struct Pending {
    Job job;
    JobFn fn;
  };
  void loop();
  void run(Pending& p);
  void removeExpiredFiles();

  store::Store& store_;
  std::string dir_;
  RunnerOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// One job of the tenant; kNotFound otherwise.
Result<Job> getJob(store::Session& s, std::int64_t tenant_id, std::int64_t id);
// The tenant's jobs, newest first (at most `limit`), of `kind` when given.
Result<std::vector<Job>> listJobs(store::Session& s, std::int64_t tenant_id,
                                  const std::string& kind, int limit);

}  // namespace ting::jobs
