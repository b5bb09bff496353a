#pragma once
// Stores what happens to calls (the `calls` table and callback requests) on
// a thread of its own, so call control never waits on the database. Writes
// of one call are applied in the order they were made.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "common/clock.h"
#include "common/event_loop.h"
#include "store/store.h"

namespace ting::calls {

struct CallRecord {
  std::string ref;  // Ting's call id
  std::int64_t tenant_id = 0;
  std::string sip_call_id;
  std::string direction = "inbound";
  std::string from_number, to_number, did;
  std::int64_t trunk_id = 0;
  std::int64_t flow_id = 0;
  int flow_version = 0;
  UnixMillis arrived_at = 0;
  std::string recording_path;  // relative to the data directory
};

class CallRecords {
 public:
  explicit CallRecords(store::Store& store);
  ~CallRecords();
  void start();
  // Finishes every queued write.
  void stop();

  void created(CallRecord record);
  void answered(std::int64_t tenant_id, std::string ref, UnixMillis at);
  void ended(std::int64_t tenant_id, std::string ref, UnixMillis at, std::string cause,
             std::string hangup_by, std::string ivr_path_json, std::string transfer_target);
  void recordingDone(std::int64_t tenant_id, std::string ref, std::int64_t duration_ms);
  void callbackRequested(std::int64_t tenant_id, std::string ref, std::string number,
                         std::string recording_path);

  // Recording retention: for each tenant with a retention period
  // (tenants.recording_retention_days > 0), deletes the recordings and left
  // messages of calls that ended longer ago than that, marks the calls
  // (recording_deleted_at) and audits each deletion. Returns how many calls
  // lost their recordings. Runs on the calling thread.
  Result<int> sweepRecordings(const std::filesystem::path& data_dir, UnixMillis now);
  // Sweeps on this object's thread now and then every `period`.
  void startRetention(std::filesystem::path data_dir, const Clock& clock,
                      std::chrono::milliseconds period);

 private:
  void write(std::int64_t tenant_id, std::function<Status(store::Tx&)> fn);
  void scheduleSweep(std::filesystem::path data_dir, const Clock& clock,
                     std::chrono::milliseconds delay, std::chrono::milliseconds period);
  store::Store& store_;
  EventLoop loop_;
};

}  // namespace ting::calls
