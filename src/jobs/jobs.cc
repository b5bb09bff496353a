#include "jobs/jobs.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>

namespace ting::jobs {

namespace {

constexpr const char* kColumns =
    "id, tenant_id, kind, status, created_by, done, total, result, error, file_path, created_at, "
    "updated_at, finished_at";

Job fromRow(const store::Row& r) {
  Job j;
  j.id = r.integer(0);
  j.tenant_id = r.integer(1);
  j.kind = r.text(2);
  j.status = r.text(3);
  if (!r.isNull(4)) j.created_by = r.integer(4);
  j.done = r.integer(5);
  j.total = r.integer(6);
  boost::system::error_code ec;
  auto result = boost::json::parse(r.text(7), ec);
  if (!ec && result.is_object()) j.result = std::move(result.as_object());
  if (!r.isNull(8)) j.error = r.text(8);
  if (!r.isNull(9)) j.file_path = r.text(9);
  j.created_at = r.integer(10);
  j.updated_at = r.integer(11);
  if (!r.isNull(12)) j.finished_at = r.integer(12);
  return j;
}

store::Actor systemActor(std::int64_t tenant_id) { return {tenant_id, 0, "system", ""}; }

// Stores the job's state and tells the tenant's WebSocket clients.
Status save(store::Store& store, Job& job) {
  return store.write(systemActor(job.tenant_id), [&](store::Tx& tx) -> Status {
    job.updated_at = tx.now();
    TING_RETURN_IF_ERROR(tx.session().exec(
        "UPDATE jobs SET status = ?, done = ?, total = ?, result = ?, error = ?, file_path = ?, "
        "updated_at = ?, finished_at = ? WHERE tenant_id = ? AND id = ?",
        {job.status, job.done, job.total, boost::json::serialize(job.result),
         store::textOrNull(job.error), store::textOrNull(job.file_path), job.updated_at,
         store::intOrNull(job.finished_at), job.tenant_id, job.id}));
    tx.emit({"jobs", "job.updated", job.tenant_id, 0, boost::json::serialize(toJson(job))});
    return Status::ok();
  });
}

}  // namespace

boost::json::object toJson(const Job& job) {
  const double percent =
      job.status == "done" ? 100.0
      : job.total > 0      ? std::min(100.0, 100.0 * static_cast<double>(job.done) /
                                                 static_cast<double>(job.total))
                           : 0.0;
  return {{"id", job.id},
          {"kind", job.kind},
          {"status", job.status},
          {"created_by", job.created_by ? boost::json::value(*job.created_by)
                                        : boost::json::value(nullptr)},
          {"done", job.done},
          {"total", job.total},
          {"percent", static_cast<double>(static_cast<int>(percent * 10)) / 10},
          {"result", job.result},
          {"error", job.error.empty() ? boost::json::value(nullptr) : boost::json::value(job.error)},
          {"has_file", !job.file_path.empty()},
          {"created_at", formatTimestamp(job.created_at)},
          {"updated_at", formatTimestamp(job.updated_at)},
          {"finished_at",
           job.finished_at ? boost::json::value(formatTimestamp(*job.finished_at))
                           : boost::json::value(nullptr)}};
}

Progress::Progress(store::Store& store, const Job& job, std::string dir,
                   std::chrono::milliseconds interval)
    : store_(store), job_(job), interval_(interval), dir_(std::move(dir)) {}

void Progress::report(std::int64_t done, std::int64_t total) {
  job_.done = done;
  job_.total = total;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_write_ < interval_) return;
  last_write_ = now;
  if (Status s = save(store_, job_); !s.isOk()) {
    spdlog::warn("job {}: progress not stored: {}", job_.id, s.message());
  }
}

const std::string& Progress::fileFor(const std::string& name) {
  const auto dir = std::filesystem::path(dir_) / std::to_string(job_.tenant_id);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  file_ = (dir / (std::to_string(job_.id) + "-" + name)).string();
  return file_;
}

JobRunner::JobRunner(store::Store& store, std::string dir, RunnerOptions options)
    : store_(store), dir_(std::move(dir)), options_(options) {}

JobRunner::~JobRunner() { stop(); }

Status JobRunner::start() {
  TING_RETURN_IF_ERROR(store_.db().write([&](store::Session& s) -> Status {
    return s.exec(
        "UPDATE jobs SET status = 'failed', error = 'interrupted by a restart; submit it again', "
        "finished_at = ?, updated_at = ? WHERE status IN ('queued', 'running')",
        {store_.clock().nowMillis(), store_.clock().nowMillis()});
  }));
  removeExpiredFiles();
  thread_ = std::thread([this] { loop(); });
  return Status::ok();
}

void JobRunner::stop() {
  std::deque<Pending> left;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    left.swap(queue_);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& p : left) {
    p.job.status = "failed";
    p.job.error = "interrupted by a shutdown; submit it again";
    p.job.finished_at = store_.clock().nowMillis();
    if (Status s = save(store_, p.job); !s.isOk()) {
      spdlog::warn("job {}: not marked failed: {}", p.job.id, s.message());
    }
  }
}

Result<Job> JobRunner::submit(const store::Actor& actor, const std::string& kind, JobFn fn) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return unavailable("the server is stopping");
    std::size_t mine = 0;
    for (const auto& p : queue_) mine += p.job.tenant_id == actor.tenant_id ? 1 : 0;
    if (mine >= options_.max_queued) {
      return unavailable("too many jobs waiting; try again when some have finished");
    }
  }
  Job job;
  TING_RETURN_IF_ERROR(store_.write(actor, [&](store::Tx& tx) -> Status {
    job.tenant_id = actor.tenant_id;
    job.kind = kind;
    job.status = "queued";
    if (actor.user_id) job.created_by = actor.user_id;
    job.created_at = job.updated_at = tx.now();
    TING_ASSIGN_OR_RETURN(
        store::Row row,
        tx.session().queryOne("INSERT INTO jobs (tenant_id, kind, status, created_by, created_at, "
                              "updated_at) VALUES (?, ?, 'queued', ?, ?, ?) RETURNING id",
                              {job.tenant_id, kind, store::intOrNull(job.created_by),
                               job.created_at, job.updated_at}));
    job.id = row.integer(0);
    tx.emit({"jobs", "job.updated", job.tenant_id, 0, boost::json::serialize(toJson(job))});
    return Status::ok();
  }));
  {
    std::lock_guard lock(mu_);
    queue_.push_back({job, std::move(fn)});
  }
  cv_.notify_all();
  return job;
}

void JobRunner::loop() {
  pthread_setname_np(pthread_self(), "jobs");
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    run(p);
    removeExpiredFiles();
    lock.lock();
  }
}

void JobRunner::run(Pending& p) {
  Progress progress(store_, p.job, dir_, options_.progress_interval);
  progress.job_.status = "running";
  if (Status s = save(store_, progress.job_); !s.isOk()) {
    spdlog::warn("job {}: not marked running: {}", p.job.id, s.message());
  }
  Result<boost::json::object> result = internalError("the job did not run");
  try {
    result = p.fn(progress);
  } catch (const std::exception& e) {
    result = internalError(std::string("the job failed: ") + e.what());
  }
  Job& job = progress.job_;
  job.finished_at = store_.clock().nowMillis();
  job.file_path = progress.file_;
  if (result.isOk()) {
    job.status = "done";
    job.result = std::move(*result);
    job.done = std::max(job.done, job.total);
  } else {
    job.status = "failed";
    job.error = result.status().message();
    if (!job.file_path.empty()) {  // a half-written file is no use to anyone
      std::error_code ec;
      std::filesystem::remove(job.file_path, ec);
      job.file_path.clear();
    }
    spdlog::warn("job {} ({}) failed: {}", job.id, job.kind, job.error);
  }
  if (Status s = save(store_, job); !s.isOk()) {
    spdlog::warn("job {}: result not stored: {}", job.id, s.message());
  }
}

void JobRunner::removeExpiredFiles() {
  const UnixMillis before =
      store_.clock().nowMillis() -
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.file_retention).count();
  store::Rows rows;
  Status s = store_.read([&](store::Session& session) -> Status {
    TING_ASSIGN_OR_RETURN(rows, session.query("SELECT id, file_path FROM jobs WHERE file_path IS "
                                              "NOT NULL AND finished_at < ? LIMIT 1000",
                                              {before}));
    return Status::ok();
  });
  if (!s.isOk()) {
    spdlog::warn("expired job files not removed: {}", s.message());
    return;
  }
  for (const auto& r : rows) {
    std::error_code ec;
    std::filesystem::remove(r.text(1), ec);
    Status cleared = store_.db().write([&](store::Session& session) -> Status {
      return session.exec("UPDATE jobs SET file_path = NULL WHERE id = ?", {r.integer(0)});
    });
    if (!cleared.isOk()) spdlog::warn("job {}: file not cleared: {}", r.integer(0), cleared.message());
  }
}

Result<Job> getJob(store::Session& s, std::int64_t tenant_id, std::int64_t id) {
  TING_ASSIGN_OR_RETURN(auto rows, s.query(std::string("SELECT ") + kColumns +
                                               " FROM jobs WHERE tenant_id = ? AND id = ?",
                                           {tenant_id, id}));
  if (rows.empty()) return notFound("no such job");
  return fromRow(rows[0]);
}

Result<std::vector<Job>> listJobs(store::Session& s, std::int64_t tenant_id,
                                  const std::string& kind, int limit) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM jobs WHERE tenant_id = ?";
  std::vector<store::Value> params{tenant_id};
  if (!kind.empty()) {
    sql += " AND kind = ?";
    params.emplace_back(kind);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(std::int64_t{limit});
  TING_ASSIGN_OR_RETURN(auto rows, s.query(sql, params));
  std::vector<Job> out;
  for (const auto& r : rows) out.push_back(fromRow(r));
  return out;
}

}  // namespace ting::jobs
