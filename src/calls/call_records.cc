#include "calls/call_records.h"

#include <spdlog/spdlog.h>

namespace ting::calls {

CallRecords::CallRecords(store::Store& store) : store_(store), loop_("call-records") {}

CallRecords::~CallRecords() { stop(); }

void CallRecords::start() { loop_.start(); }

void CallRecords::stop() { loop_.stop(); }

void CallRecords::write(std::int64_t tenant_id, std::function<Status(store::Tx&)> fn) {
  loop_.post([this, tenant_id, fn = std::move(fn)] {
    store::Actor actor{tenant_id, 0, "telephony", ""};
    Status s = store_.write(actor, fn);
    if (!s.isOk()) spdlog::error("call record write failed: {}", s.message());
  });
}

void CallRecords::created(CallRecord r) {
  const std::int64_t tenant = r.tenant_id;
  write(tenant, [r = std::move(r)](store::Tx& tx) -> Status {
    return tx.session().exec(
            "INSERT INTO calls (tenant_id, call_ref, sip_call_id, direction, from_number, "
            "to_number, did, trunk_id, flow_id, flow_version, state, arrived_at, recording_path, "
            "parent_ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ringing', ?, ?, ?)",
            {r.tenant_id, r.ref, r.sip_call_id, r.direction, r.from_number, r.to_number, r.did,
             r.trunk_id != 0 ? store::Value(r.trunk_id) : store::Value(),
             r.flow_id != 0 ? store::Value(r.flow_id) : store::Value(),
             std::int64_t{r.flow_version}, r.arrived_at, store::textOrNull(r.recording_path),
             store::textOrNull(r.parent_ref)});
  });
}

void CallRecords::answered(std::int64_t tenant_id, std::string ref, UnixMillis at) {
  write(tenant_id, [tenant_id, ref = std::move(ref), at](store::Tx& tx) -> Status {
    return tx.session().exec("UPDATE calls SET state = 'answered', answered_at = ? WHERE tenant_id = ? AND "
              "call_ref = ?",
              {at, tenant_id, ref});
  });
}

void CallRecords::ended(std::int64_t tenant_id, std::string ref, UnixMillis at, std::string cause,
                        std::string hangup_by, std::string path, std::string transfer_target) {
  write(tenant_id, [=](store::Tx& tx) -> Status {
    return tx.session().exec("UPDATE calls SET state = 'ended', ended_at = ?, end_cause = ?, hangup_by = ?, "
              "ivr_path = ?, transfer_target = ? WHERE tenant_id = ? AND call_ref = ?",
              {at, cause, hangup_by, path, store::textOrNull(transfer_target), tenant_id, ref});
  });
}

void CallRecords::recordingDone(std::int64_t tenant_id, std::string ref,
                                std::int64_t duration_ms) {
  write(tenant_id, [tenant_id, ref = std::move(ref), duration_ms](store::Tx& tx) -> Status {
    return tx.session().exec("UPDATE calls SET recording_ms = ? WHERE tenant_id = ? AND call_ref = ?",
              {duration_ms, tenant_id, ref});
  });
}

void CallRecords::callbackRequested(std::int64_t tenant_id, std::string ref, std::string number,
                                    std::string recording_path) {
  write(tenant_id, [=](store::Tx& tx) -> Status {
    TING_RETURN_IF_ERROR(tx.session().exec("INSERT INTO callback_requests (tenant_id, call_ref, number, recording_path, "
                  "source, status, created_at, updated_at) VALUES (?, ?, ?, ?, 'voicemail', "
                  "'open', ?, ?)",
                  {tenant_id, ref, number, recording_path, tx.now(), tx.now()}));
    DomainEvent e;
    e.topic = "calls";
    e.name = "callback.requested";
    e.tenant_id = tenant_id;
    e.at = tx.now();
    e.data_json = "{\"call_id\":\"" + ref + "\"}";
    tx.emit(std::move(e));
    return Status::ok();
  });
}

void CallRecords::queued(std::int64_t tenant_id, std::string ref, std::string queue,
                         UnixMillis at) {
  write(tenant_id, [=](store::Tx& tx) -> Status {
    return tx.session().exec(
        "UPDATE calls SET queue = ?, queued_at = ? WHERE tenant_id = ? AND call_ref = ?",
        {queue, at, tenant_id, ref});
  });
}

void CallRecords::agentConnected(std::int64_t tenant_id, std::string ref, std::string staff_no,
                                 UnixMillis at) {
  write(tenant_id, [=](store::Tx& tx) -> Status {
    return tx.session().exec(
        "UPDATE calls SET agent_staff_no = ?, agent_answered_at = ? WHERE tenant_id = ? AND "
        "call_ref = ?",
        {staff_no, at, tenant_id, ref});
  });
}

void CallRecords::satisfaction(std::int64_t tenant_id, std::string ref, int score) {
  write(tenant_id, [=](store::Tx& tx) -> Status {
    return tx.session().exec(
        "UPDATE calls SET satisfaction = ? WHERE tenant_id = ? AND call_ref = ?",
        {std::int64_t{score}, tenant_id, ref});
  });
}

void CallRecords::customerMatched(std::int64_t tenant_id, std::string ref,
                                  std::int64_t customer_id) {
  write(tenant_id, [=](store::Tx& tx) -> Status {
    return tx.session().exec("UPDATE calls SET customer_id = ? WHERE tenant_id = ? AND call_ref = ?",
                             {customer_id, tenant_id, ref});
  });
}

void CallRecords::queueEvent(QueueEvent e) {
  const std::int64_t tenant = e.tenant_id;
  write(tenant, [e = std::move(e)](store::Tx& tx) -> Status {
    return tx.session().exec(
        "INSERT INTO queue_events (tenant_id, queue, call_ref, event, staff_no, position, "
        "wait_ms, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {e.tenant_id, e.queue, store::textOrNull(e.call_ref), e.event,
         store::textOrNull(e.staff_no),
         e.position > 0 ? store::Value(std::int64_t{e.position}) : store::Value(),
         e.wait_ms >= 0 ? store::Value(e.wait_ms) : store::Value(), store::textOrNull(e.detail),
         e.at});
  });
}

void CallRecords::agentStateChanged(AgentStateChange c) {
  const std::int64_t tenant = c.tenant_id;
  write(tenant, [c = std::move(c)](store::Tx& tx) -> Status {
    return tx.session().exec(
        "INSERT INTO agent_state_log (tenant_id, user_id, staff_no, from_state, to_state, reason, "
        "call_ref, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {c.tenant_id, c.user_id, c.staff_no, c.from, c.to, c.reason,
         store::textOrNull(c.call_ref), c.at});
  });
}

void CallRecords::queueCallbackRequested(std::int64_t tenant_id, std::string ref,
                                         std::string number, std::string queue,
                                         std::string status) {
  write(tenant_id, [=](store::Tx& tx) -> Status {
    return tx.session().exec(
        "INSERT INTO callback_requests (tenant_id, call_ref, number, recording_path, source, "
        "status, created_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)",
        {tenant_id, ref, number, "queue:" + queue, status, tx.now(), tx.now()});
  });
}

void CallRecords::callbackProgress(std::int64_t tenant_id, std::string origin_ref,
                                   std::string callback_ref, std::string status, int attempts,
                                   std::string detail) {
  write(tenant_id, [=](store::Tx& tx) -> Status {
    return tx.session().exec(
        "UPDATE callback_requests SET status = ?, attempts = ?, callback_ref = ?, detail = ?, "
        "updated_at = ? WHERE tenant_id = ? AND call_ref = ? AND source LIKE 'queue:%'",
        {status, std::int64_t{attempts}, callback_ref, store::textOrNull(detail), tx.now(),
         tenant_id, origin_ref});
  });
}

namespace {

// Removes a file under the data directory; a file already gone is fine.
bool removeRecording(const std::filesystem::path& data_dir, const std::string& relative) {
  std::error_code ec;
  std::filesystem::remove(data_dir / relative, ec);
  if (ec) {
    spdlog::error("retention: cannot delete {}: {}", relative, ec.message());
    return false;
  }
  return true;
}

}  // namespace

Result<int> CallRecords::sweepRecordings(const std::filesystem::path& data_dir, UnixMillis now) {
  std::vector<std::pair<std::int64_t, std::int64_t>> tenants;  // id, days
  TING_RETURN_IF_ERROR(store_.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(auto rows, s.query("SELECT id, recording_retention_days FROM tenants "
                                             "WHERE recording_retention_days > 0",
                                             {}));
    for (const auto& r : rows) tenants.emplace_back(r.integer(0), r.integer(1));
    return Status::ok();
  }));
  constexpr int kBatch = 200;
  int deleted = 0;
  for (const auto& tenant : tenants) {
    const std::int64_t tenant_id = tenant.first, days = tenant.second;
    const UnixMillis cutoff = now - days * 86'400'000;
    for (;;) {
      struct Expired {
        std::int64_t id;
        std::string ref, path;
        std::vector<std::pair<std::int64_t, std::string>> messages;
      };
      std::vector<Expired> batch;
      TING_RETURN_IF_ERROR(store_.read([&](store::Session& s) -> Status {
        TING_ASSIGN_OR_RETURN(
            auto rows,
            s.query("SELECT id, call_ref, recording_path FROM calls WHERE tenant_id = ? AND "
                    "recording_path IS NOT NULL AND recording_deleted_at IS NULL AND ended_at "
                    "IS NOT NULL AND ended_at < ? ORDER BY id LIMIT ?",
                    {tenant_id, cutoff, std::int64_t{kBatch}}));
        for (const auto& r : rows) {
          Expired e{r.integer(0), r.text(1), r.text(2), {}};
          TING_ASSIGN_OR_RETURN(auto msgs,
                                s.query("SELECT id, recording_path FROM callback_requests WHERE "
                                        "tenant_id = ? AND call_ref = ? AND recording_path IS "
                                        "NOT NULL",
                                        {tenant_id, e.ref}));
          for (const auto& m : msgs) e.messages.emplace_back(m.integer(0), m.text(1));
          batch.push_back(std::move(e));
        }
        return Status::ok();
      }));
      if (batch.empty()) break;
      int done_in_batch = 0;
      for (auto& e : batch) {
        bool ok = removeRecording(data_dir, e.path);
        for (const auto& [id, path] : e.messages) ok = removeRecording(data_dir, path) && ok;
        if (!ok) continue;  // retried at the next sweep
        store::Actor actor{tenant_id, 0, "retention", ""};
        TING_RETURN_IF_ERROR(store_.write(actor, [&](store::Tx& tx) -> Status {
          TING_RETURN_IF_ERROR(tx.session().exec(
              "UPDATE calls SET recording_deleted_at = ? WHERE tenant_id = ? AND id = ?",
              {now, tenant_id, e.id}));
          TING_RETURN_IF_ERROR(tx.session().exec(
              "UPDATE callback_requests SET recording_path = NULL, updated_at = ? WHERE "
              "tenant_id = ? AND call_ref = ?",
              {now, tenant_id, e.ref}));
          return tx.audit({"call", e.ref, "delete_recording", "",
                           "{\"reason\":\"retention\",\"days\":" + std::to_string(days) + "}",
                           0});
        }));
        ++deleted;
        ++done_in_batch;
      }
      if (done_in_batch == 0 || static_cast<int>(batch.size()) < kBatch) break;
    }
  }
  if (deleted > 0) spdlog::info("retention: deleted the recordings of {} calls", deleted);
  return deleted;
}

void CallRecords::startRetention(std::filesystem::path data_dir, const Clock& clock,
                                 std::chrono::milliseconds period) {
  scheduleSweep(std::move(data_dir), clock, std::chrono::milliseconds(0), period);
}

void CallRecords::scheduleSweep(std::filesystem::path data_dir, const Clock& clock,
                                std::chrono::milliseconds delay,
                                std::chrono::milliseconds period) {
  loop_.post([this, data_dir = std::move(data_dir), &clock, delay, period] {
    loop_.addTimerAfter(delay, [this, data_dir, &clock, period] {
      auto r = sweepRecordings(data_dir, clock.nowMillis());
      if (!r) spdlog::error("retention sweep failed: {}", r.status().message());
      scheduleSweep(data_dir, clock, period, period);
    });
  });
}

}  // namespace ting::calls
