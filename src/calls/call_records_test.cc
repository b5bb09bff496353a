#include "calls/call_records.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/event_bus.h"
#include "store/test_database.h"

namespace ting::calls {
namespace {

constexpr std::int64_t kDay = 86'400'000;

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TING_REQUIRE_TEST_DATABASE(tdb_);
    store_ = std::make_unique<store::Store>(tdb_.db(), bus_, clock_);
    data_ = tdb_.dir() / "data";
    keep_ = tenant("keeps", 0);
    month_ = tenant("month", 30);
  }

  std::int64_t tenant(const std::string& slug, int days) {
    std::int64_t id = 0;
    Status s = tdb_.db().read([&](store::Session& s) -> Status {
      TING_RETURN_IF_ERROR(s.exec("INSERT INTO tenants (slug, name, created_at, updated_at, "
                                  "recording_retention_days) VALUES (?, ?, 0, 0, ?)",
                                  {slug, slug, std::int64_t{days}}));
      TING_ASSIGN_OR_RETURN(auto rows, s.query("SELECT id FROM tenants WHERE slug = ?", {slug}));
      id = rows.at(0).integer(0);
      return Status::ok();
    });
    EXPECT_TRUE(s.isOk()) << s.message();
    return id;
  }

  // A finished call with its recording (and a left message) on disk.
  void call(std::int64_t tenant_id, const std::string& ref, UnixMillis ended_at) {
    const std::string rec = "recordings/" + std::to_string(tenant_id) + "/" + ref + ".wav";
    const std::string msg = "recordings/" + std::to_string(tenant_id) + "/" + ref + "-message-1.wav";
    std::filesystem::create_directories(data_ / "recordings" / std::to_string(tenant_id));
    std::ofstream(data_ / rec) << "RIFF";
    std::ofstream(data_ / msg) << "RIFF";
    Status s = tdb_.db().read([&](store::Session& s) -> Status {
      TING_RETURN_IF_ERROR(s.exec(
          "INSERT INTO calls (tenant_id, call_ref, direction, state, arrived_at, ended_at, "
          "recording_path) VALUES (?, ?, 'inbound', 'ended', ?, ?, ?)",
          {tenant_id, ref, ended_at - 60'000, ended_at, rec}));
      return s.exec(
          "INSERT INTO callback_requests (tenant_id, call_ref, number, recording_path, source, "
          "status, created_at, updated_at) VALUES (?, ?, '13800138000', ?, 'voicemail', 'open', "
          "?, ?)",
          {tenant_id, ref, msg, ended_at, ended_at});
    });
    ASSERT_TRUE(s.isOk()) << s.message();
  }

  bool onDisk(std::int64_t tenant_id, const std::string& ref) {
    return std::filesystem::exists(data_ / "recordings" / std::to_string(tenant_id) /
                                   (ref + ".wav"));
  }

  std::string column(const std::string& sql, const std::string& ref) {
    std::string out = "(none)";
    (void)tdb_.db().read([&](store::Session& s) -> Status {
      TING_ASSIGN_OR_RETURN(auto rows, s.query(sql, {ref}));
      if (!rows.empty()) out = rows[0].isNull(0) ? "null" : "set";
      return Status::ok();
    });
    return out;
  }

  store::TestDatabase tdb_{store::Dialect::kSqlite};
  EventBus bus_;
  SystemClock clock_;
  std::unique_ptr<store::Store> store_;
  std::filesystem::path data_;
  std::int64_t keep_ = 0, month_ = 0;
};

TEST_F(RetentionTest, DeletesOnlyRecordingsOlderThanTheTenantsPeriod) {
  const UnixMillis now = 100 * kDay;
  call(month_, "old", now - 31 * kDay);
  call(month_, "recent", now - 29 * kDay);
  call(keep_, "ancient", now - 90 * kDay);  // this tenant keeps recordings forever
  CallRecords records(*store_);
  auto n = records.sweepRecordings(data_, now);
  ASSERT_TRUE(n.isOk()) << n.status().message();
  EXPECT_EQ(*n, 1);
  EXPECT_FALSE(onDisk(month_, "old"));
  EXPECT_FALSE(std::filesystem::exists(data_ / "recordings" / std::to_string(month_) /
                                       "old-message-1.wav"));
  EXPECT_TRUE(onDisk(month_, "recent"));
  EXPECT_TRUE(onDisk(keep_, "ancient"));
  EXPECT_EQ(column("SELECT recording_deleted_at FROM calls WHERE call_ref = ?", "old"), "set");
  EXPECT_EQ(column("SELECT recording_deleted_at FROM calls WHERE call_ref = ?", "recent"), "null");
  EXPECT_EQ(column("SELECT recording_path FROM callback_requests WHERE call_ref = ?", "old"),
            "null");
  EXPECT_EQ(column("SELECT id FROM audit_log WHERE action = 'delete_recording' AND entity_id = ?",
                   "old"),
            "set");
  // A second sweep finds nothing more to do.
  EXPECT_EQ(*records.sweepRecordings(data_, now), 0);
}

TEST_F(RetentionTest, AFileAlreadyGoneStillMarksTheCall) {
  const UnixMillis now = 100 * kDay;
  call(month_, "gone", now - 40 * kDay);
  std::filesystem::remove(data_ / "recordings" / std::to_string(month_) / "gone.wav");
  CallRecords records(*store_);
  EXPECT_EQ(*records.sweepRecordings(data_, now), 1);
  EXPECT_EQ(column("SELECT recording_deleted_at FROM calls WHERE call_ref = ?", "gone"), "set");
}

}  // namespace
}  // namespace ting::calls
