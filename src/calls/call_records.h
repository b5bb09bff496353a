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
  std::string parent_ref;      // the call this one was placed for (a queued callback's origin)
};

// One line of the queue event log (docs/acd.md lists the events).
struct QueueEvent {
  std::int64_t tenant_id = 0;
  std::string queue;
  std::string call_ref;
  std::string event;  // entered, offered, answered, missed, rejected, abandoned, timed_out, ...
  std::string staff_no;
  int position = 0;   // 0: not applicable
  std::int64_t wait_ms = -1;  // < 0: not applicable
  std::string detail;
  UnixMillis at = 0;
};

// One agent state change (acd::AgentTransition with names).
struct AgentStateChange {
  std::int64_t tenant_id = 0;
  std::int64_t user_id = 0;
  std::string staff_no;
  std::string from, to, reason;
  std::string call_ref;
  UnixMillis at = 0;
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

  // The ACD: the call entered a queue; an agent took it; the caller's
  // satisfaction answer (1-5).
  void queued(std::int64_t tenant_id, std::string ref, std::string queue, UnixMillis at);
  void agentConnected(std::int64_t tenant_id, std::string ref, std::string staff_no,
                      UnixMillis at);
  void satisfaction(std::int64_t tenant_id, std::string ref, int score);
  // The screen pop found exactly this customer for the call.
  void customerMatched(std::int64_t tenant_id, std::string ref, std::int64_t customer_id);
  void queueEvent(QueueEvent event);
  void agentStateChanged(AgentStateChange change);
  // A caller who asked to be called back from a queue (source 'queue:<name>'):
  // status 'queued' when Ting keeps their place and dials them itself, 'open'
  // when someone must call them back (no outbound trunk).
  void queueCallbackRequested(std::int64_t tenant_id, std::string ref, std::string number,
                              std::string queue, std::string status);
  // A queued callback moved on: status 'dialing', 'retrying', 'completed' or
  // 'failed'; `callback_ref` the call placing it; `attempts` dialled so far.
  void callbackProgress(std::int64_t tenant_id, std::string origin_ref, std::string callback_ref,
                        std::string status, int attempts, std::string detail);

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
