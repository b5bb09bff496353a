// The job runner on a real SQLite database: progress, results, files,
// failures, restarts and tenant isolation.

#include "jobs/jobs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "common/event_bus.h"
#include "store/test_database.h"

namespace ting::jobs {
namespace {

class JobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tdb_.error().empty()) << tdb_.error();
    dir_ = tdb_.dir();
    store_ = std::make_unique<store::Store>(tdb_.db(), bus_, SystemClock::instance());
    for (const char* slug : {"a", "b"}) {
      ASSERT_TRUE(tdb_.db()
                      .write([&](store::Session& s) -> Status {
                        return s.exec("INSERT INTO tenants (slug, name, created_at, updated_at) "
                                      "VALUES (?, ?, 0, 0)",
                                      {std::string(slug), std::string(slug)});
                      })
                      .isOk());
    }
    // Every job change wakes waitFor().
    sub_ = bus_.subscribe([this](const DomainEvent& e) {
      if (e.topic != "jobs") return;
      std::lock_guard lock(mu_);
      ++changes_;
      cv_.notify_all();
    });
  }
  void TearDown() override {
    runner_.reset();
    bus_.unsubscribe(sub_);
  }
  JobRunner& runner(RunnerOptions options = {}) {
    runner_ = std::make_unique<JobRunner>(*store_, (dir_ / "jobs").string(), options);
    EXPECT_TRUE(runner_->start().isOk());
    return *runner_;
  }
  // Waits until job `id` has finished: each job.updated event re-reads it.
  Job waitFor(std::int64_t tenant, std::int64_t id) {
    std::unique_lock lock(mu_);
    for (;;) {
      const int seen = changes_;
      lock.unlock();
      Job job;
      EXPECT_TRUE(store_->read([&](store::Session& s) -> Status {
                         TING_ASSIGN_OR_RETURN(job, getJob(s, tenant, id));
                         return Status::ok();
                       })
                      .isOk());
      lock.lock();
      if (job.status == "done" || job.status == "failed") return job;
      cv_.wait(lock, [&] { return changes_ != seen; });
    }
  }

  store::TestDatabase tdb_{store::Dialect::kSqlite};
  std::filesystem::path dir_;
  EventBus bus_;
  EventBus::SubscriptionId sub_ = 0;
  int changes_ = 0;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<JobRunner> runner_;
  std::mutex mu_;
  std::condition_variable cv_;
};

TEST_F(JobsTest, RunsAJobWithProgressAResultAndAFile) {
  std::vector<std::string> events;
  std::mutex events_mu;
  const auto sub = bus_.subscribe([&](const DomainEvent& e) {
    if (e.topic != "jobs") return;
    std::lock_guard lock(events_mu);
    events.push_back(e.data_json);
  });
  std::promise<void> go;
  auto started = go.get_future().share();
  auto job = runner({.progress_interval = std::chrono::milliseconds(0)})
                 .submit({1, 0, "t", ""}, "customer_export",
                         [started](Progress& p) -> Result<boost::json::object> {
                           started.wait();
                           p.report(1, 2);
                           p.report(2, 2);
                           std::ofstream(p.fileFor("out.csv")) << "name\r\n";
                           return boost::json::object{{"rows", 2}};
                         });
  ASSERT_TRUE(job.isOk());
  EXPECT_EQ(job->status, "queued");
  go.set_value();
  const Job done = waitFor(1, job->id);
  EXPECT_EQ(done.status, "done");
  EXPECT_EQ(done.done, 2);
  EXPECT_EQ(done.total, 2);
  EXPECT_EQ(done.result.at("rows").as_int64(), 2);
  ASSERT_FALSE(done.file_path.empty());
  std::ifstream in(done.file_path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "name\r");
  EXPECT_EQ(toJson(done).at("percent").as_double(), 100.0);
  EXPECT_FALSE(toJson(done).contains("file_path"));  // an internal detail
  bus_.unsubscribe(sub);
  std::lock_guard lock(events_mu);
  // queued, running, two progress reports, done
  EXPECT_GE(events.size(), 4u);
  EXPECT_NE(events.back().find("\"status\":\"done\""), std::string::npos);
}

TEST_F(JobsTest, AFailedJobKeepsItsErrorAndNoHalfFile) {
  auto job = runner().submit({1, 0, "t", ""}, "customer_export",
                             [](Progress& p) -> Result<boost::json::object> {
                               std::ofstream(p.fileFor("out.csv")) << "half";
                               return unavailable("disk full");
                             });
  ASSERT_TRUE(job.isOk());
  const Job done = waitFor(1, job->id);
  EXPECT_EQ(done.status, "failed");
  EXPECT_EQ(done.error, "disk full");
  EXPECT_TRUE(done.file_path.empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "jobs" / "1"));
}

TEST_F(JobsTest, AnotherTenantDoesNotSeeTheJob) {
  auto job = runner().submit({1, 0, "t", ""}, "customer_import",
                             [](Progress&) -> Result<boost::json::object> {
                               return boost::json::object{};
                             });
  ASSERT_TRUE(job.isOk());
  waitFor(1, job->id);
  Status s = store_->read([&](store::Session& session) -> Status {
    return getJob(session, 2, job->id).status();
  });
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  std::vector<Job> listed;
  ASSERT_TRUE(store_->read([&](store::Session& session) -> Status {
                       TING_ASSIGN_OR_RETURN(listed, listJobs(session, 2, "", 10));
                       return Status::ok();
                     })
                  .isOk());
  EXPECT_TRUE(listed.empty());
}

TEST_F(JobsTest, ARestartFailsWhatWasLeftRunning) {
  ASSERT_TRUE(tdb_.db().write([&](store::Session& s) -> Status {
                   return s.exec("INSERT INTO jobs (tenant_id, kind, status, created_at, "
                                 "updated_at) VALUES (1, 'customer_import', 'running', 0, 0)",
                                 {});
                 })
                  .isOk());
  runner();
  std::vector<Job> listed;
  ASSERT_TRUE(store_->read([&](store::Session& session) -> Status {
                       TING_ASSIGN_OR_RETURN(listed, listJobs(session, 1, "customer_import", 10));
                       return Status::ok();
                     })
                  .isOk());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].status, "failed");
  EXPECT_NE(listed[0].error.find("restart"), std::string::npos);
}

TEST_F(JobsTest, ExpiredFilesAreRemoved) {
  const auto old_file = dir_ / "old.csv";
  std::ofstream(old_file) << "x";
  ASSERT_TRUE(tdb_.db().write([&](store::Session& s) -> Status {
                   return s.exec("INSERT INTO jobs (tenant_id, kind, status, file_path, "
                                 "created_at, updated_at, finished_at) VALUES (1, "
                                 "'customer_export', 'done', ?, 0, 0, 0)",
                                 {old_file.string()});
                 })
                  .isOk());
  runner();
  EXPECT_FALSE(std::filesystem::exists(old_file));
  std::vector<Job> listed;
  ASSERT_TRUE(store_->read([&](store::Session& session) -> Status {
                       TING_ASSIGN_OR_RETURN(listed, listJobs(session, 1, "", 10));
                       return Status::ok();
                     })
                  .isOk());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_TRUE(listed[0].file_path.empty());
}

}  // namespace
}  // namespace ting::jobs
