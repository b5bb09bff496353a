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
            "to_number, did, trunk_id, flow_id, flow_version, state, arrived_at, recording_path) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ringing', ?, ?)",
            {r.tenant_id, r.ref, r.sip_call_id, r.direction, r.from_number, r.to_number, r.did,
             r.trunk_id != 0 ? store::Value(r.trunk_id) : store::Value(),
             r.flow_id != 0 ? store::Value(r.flow_id) : store::Value(),
             std::int64_t{r.flow_version}, r.arrived_at, store::textOrNull(r.recording_path)});
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

}  // namespace ting::calls
