// Queued callbacks (docs/acd.md): a caller presses the queue's callback key
// and hangs up, and a callback takes their place in the queue. When its turn
// comes an agent is offered it like a call; once the agent answers, Ting
// dials the customer through the tenant's outbound trunk and bridges the two.
// A customer who does not answer is tried again after the queue's
// callback_retry_s, at the same place, up to callback_attempts times.
//
// The callback is a call of its own (direction outbound, parent_ref the call
// it was asked in), recorded like any other once the customer answers: left
// the customer, right the agent. Its progress is kept in callback_requests,
// so callbacks still waiting when Ting stops are put back on the next start.

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "calls/call_state.h"

namespace ting::calls {

void CallControl::queuedCallback(Call& call) {
  auto qi = queues_.find(call.queue);
  AcdQueue* q = qi == queues_.end() ? nullptr : qi->second.get();
  // Ting keeps the place only when it can dial the customer itself.
  PendingCallback pending;
  if (q != nullptr) {
    pending = {call.tenant_id, call.ref,      call.from_number, q->setup.name,
               call.did,       call.queued_at, call.priority,    0};
    // What the call asked for beyond the queue's skills, kept for the callback.
    for (const auto& r : call.skills) {
      const bool from_queue = std::any_of(q->setup.skills.begin(), q->setup.skills.end(),
                                          [&](const auto& qr) { return qr.skill == r.skill; });
      if (!from_queue) pending.skills.push_back(r);
    }
    // The IVR may have asked for another number to call back on.
    if (call.ivr) {
      const auto& vars = call.ivr->variables();
      if (auto v = vars.find("callback_number"); v != vars.end() && !v->second.empty()) {
        pending.number = v->second;
      }
    }
  }
  const bool keep = q != nullptr && !pending.number.empty() &&
                    directory_.outboundTrunk(call.tenant_id, "").has_value();
  withdrawOffers(call);
  dequeue(call);
  stopWaitTimers(call);
  if (q != nullptr) {
    queueEvent(call, *q, "callback_requested", "", 0, keep ? "place kept" : "no outbound trunk");
    records_.queueCallbackRequested(call.tenant_id, call.ref,
                                    pending.number.empty() ? call.from_number : pending.number,
                                    q->setup.name,
                                    keep ? "queued" : "open");
  }
  call.phase = "goodbye";
  call.state = "callback";
  snapshot(call);
  playText(call, kGoodbyePlayId, "好的，我们会尽快给您回电。再见。");
  if (keep) queueCallback(pending);
}

void CallControl::restoreCallbacks(std::vector<PendingCallback> callbacks) {
  onLoop([&] {
    for (const auto& p : callbacks) queueCallback(p);
    return 0;
  });
}

Status CallControl::cancelCallback(std::int64_t tenant_id, const std::string& origin_ref) {
  return onLoop([&]() -> Status {
    for (auto& [ref, c] : calls_) {
      Call& call = *c;
      if (call.ended || call.tenant_id != tenant_id || call.callback_number.empty() ||
          call.parent_ref != origin_ref) {
        continue;
      }
      if (call.agent_user != 0 || !call.offers.empty()) {
        return conflict("an agent has the callback", "status").withReason("callback_in_progress");
      }
      if (auto qi = queues_.find(call.queue); qi != queues_.end()) {
        queueEvent(call, *qi->second, "callback_cancelled");
      }
      dequeue(call);
      hangup(call, "callback_cancelled", "agent");
      return Status::ok();
    }
    return Status::ok();
  });
}

void CallControl::queueCallback(const PendingCallback& p) {
  AcdQueue* q = queueByName(p.tenant_id, p.queue);
  if (q == nullptr) {
    records_.callbackProgress(p.tenant_id, p.origin_ref, "", "open", p.attempts,
                              "no queue " + p.queue);
    return;
  }
  const UnixMillis now = clock_.nowMillis();
  auto owned = std::make_unique<Call>();
  Call& c = *owned;
  c.ref = newCallRef(now);
  c.tenant_id = p.tenant_id;
  c.callback_number = p.number;
  c.parent_ref = p.origin_ref;
  c.callback_attempts = p.attempts;
  c.to_number = p.number;
  c.did = p.did;
  c.arrived_at = now;
  c.sdp_session = static_cast<std::uint64_t>(now);
  c.recording_path = recordingPath(c.tenant_id, now, c.ref);
  if (auto dial = trunkDial(directory_, c.tenant_id, "", p.number, ""); dial.isOk()) {
    c.from_number = dial->caller;  // the number the customer will see
  }
  c.queue = q->key;
  c.acd_id = next_acd_id_++;
  c.queued_at = p.queued_at != 0 ? p.queued_at : now;
  c.priority = p.priority;
  c.joined = std::chrono::steady_clock::now();
  c.skills = withCallSkills(q->setup.skills, p.skills);
  Status s = router_.enqueue(q->key, {c.acd_id, c.priority, c.queued_at, c.skills});
  if (!s.isOk()) {
    records_.callbackProgress(p.tenant_id, p.origin_ref, "", "open", p.attempts, s.message());
    return;
  }
  acd_calls_[c.acd_id] = c.ref;
  q->waiting.insert(c.ref);
  c.state = "callback_queued";
  c.transfer_kind = "queue";
  c.transfer_target = q->setup.name;

  CallRecord record;
  record.ref = c.ref;
  record.tenant_id = c.tenant_id;
  record.direction = "outbound";
  record.from_number = c.from_number;
  record.to_number = c.to_number;
  record.did = c.did;
  record.arrived_at = now;
  record.recording_path = c.recording_path;
  record.parent_ref = c.parent_ref;
  records_.created(std::move(record));
  records_.queued(c.tenant_id, c.ref, q->setup.name, c.queued_at);
  records_.callbackProgress(c.tenant_id, c.parent_ref, c.ref, "queued", c.callback_attempts, "");
  const std::string ref = c.ref;
  calls_.emplace(ref, std::move(owned));
  queueEvent(c, *q, "callback_queued", "", static_cast<int>(router_.position(c.acd_id).value_or(0)),
             "for " + c.parent_ref);
  snapshot(c);
  lookupCustomer(c, c.callback_number);
  dispatch(q->key);
}

void CallControl::dialCallback(Call& call) {
  auto qi = queues_.find(call.queue);
  auto dial = trunkDial(directory_, call.tenant_id, "", call.callback_number, "");
  if (!dial) return callbackNotReached(call, dial.status().message(), CallbackMiss::kGiveUp);
  auto allocated = media_->allocateNear(call.agent_media);
  if (!allocated) return callbackNotReached(call, "no media ports", CallbackMiss::kAgentLeft);
  call.media = allocated->id;
  call.media_port = allocated->port;
  by_media_[call.media] = call.ref;
  setLive(call, true);
  ++call.callback_attempts;
  sip::LocalMedia local{sip_->advertisedHost(), call.media_port, call.sdp_session,
                        call.sdp_version};
  call.leg = sip_->invite(dial->uri, dial->from, sip::writeSdp(local, nullptr),
                          std::move(dial->credentials));
  by_leg_[call.leg] = call.ref;
  media_->playTone(call.agent_media, kRingbackPlayId, ringback());  // the agent hears it ring
  call.state = "dialing";
  const std::string attempt = "attempt " + std::to_string(call.callback_attempts);
  records_.callbackProgress(call.tenant_id, call.parent_ref, call.ref, "dialing",
                            call.callback_attempts, "");
  if (qi != queues_.end()) {
    queueEvent(call, *qi->second, "callback_dialing", call.agent_staff_no, 0, attempt);
  }
  hangUpUnanswered(call, call.leg);
  boost::json::object data{{"call_id", call.ref},
                           {"callback_for", call.parent_ref},
                           {"number", call.callback_number},
                           {"staff_no", call.agent_staff_no},
                           {"attempt", call.callback_attempts}};
  publish(call, "call.callback_dialing", boost::json::serialize(data));
  snapshot(call);
}

void CallControl::callbackAnswered(Call& call, const Result<media::RemoteMedia>& remote) {
  if (!remote) {
    spdlog::warn("call {}: the customer answered with unusable SDP: {}", call.ref,
                 remote.status().message());
    const sip::LegId leg = call.leg;
    call.leg = 0;
    by_leg_.erase(leg);
    sip_->hangup(leg);
    return callbackNotReached(call, "unusable SDP", CallbackMiss::kNoAnswer);
  }
  if (call.transfer_timer != 0) loop_.cancel(call.transfer_timer);
  call.transfer_timer = 0;
  const UnixMillis now = clock_.nowMillis();
  media_->setRemote(call.media, *remote);
  media_->startRecording(call.media, config_.data_dir / call.recording_path);
  call.recording_started = true;
  call.answered_at = now;
  records_.answered(call.tenant_id, call.ref, now);
  records_.callbackProgress(call.tenant_id, call.parent_ref, call.ref, "completed",
                            call.callback_attempts, "");
  if (calls_started_) calls_started_->inc();
  if (auto qi = queues_.find(call.queue); qi != queues_.end()) {
    queueEvent(call, *qi->second, "callback_completed", call.agent_staff_no, 0,
               "attempt " + std::to_string(call.callback_attempts));
  }
  bridgeTo(call, nullptr);  // ends the agent's ringback
}

void CallControl::callbackNotReached(Call& call, const std::string& why, CallbackMiss miss) {
  if (call.transfer_timer != 0) loop_.cancel(call.transfer_timer);
  call.transfer_timer = 0;
  // The customer's leg, if dialled, and the agent's phone.
  dropLeg(call.leg, call.media, /*hangup=*/true);
  call.leg = 0;
  call.media = 0;
  setLive(call, false);
  if (call.agent_user != 0) {
    dropLeg(call.agent_leg, call.agent_media, /*hangup=*/true);
    if (auto ai = agents_.find(call.agent_user); ai != agents_.end()) {
      AcdAgent& a = *ai->second;
      if (a.call_ref == call.ref && a.machine->state() == acd::AgentState::kOnCall) {
        a.call_ref.clear();
        // No wrap-up for a customer not reached; an agent who hung up rests
        // a moment so the callback goes to someone else first.
        agentChanged(a, a.machine->callEnded(0, clock_.nowMillis()),
                     miss == CallbackMiss::kAgentLeft);
      }
    }
  }
  const std::string staff = call.agent_staff_no;
  call.agent_leg = 0;
  call.agent_media = 0;
  call.agent_user = 0;
  call.agent_staff_no.clear();
  call.bridged = false;
  auto qi = queues_.find(call.queue);
  AcdQueue* q = qi == queues_.end() ? nullptr : qi->second.get();
  spdlog::info("call {}: callback to {} not reached: {}", call.ref, call.callback_number, why);
  if (q != nullptr) queueEvent(call, *q, "callback_not_reached", staff, 0, why);
  boost::json::object data{{"call_id", call.ref}, {"callback_for", call.parent_ref},
                           {"reason", why},       {"attempt", call.callback_attempts}};
  publish(call, "call.callback_not_reached", boost::json::serialize(data));

  if (miss == CallbackMiss::kAgentLeft && q != nullptr) return requeueCallback(call.ref);
  if (miss == CallbackMiss::kNoAnswer && q != nullptr &&
      call.callback_attempts < q->setup.callback_attempts) {
    call.state = "callback_retry";
    records_.callbackProgress(call.tenant_id, call.parent_ref, call.ref, "retrying",
                              call.callback_attempts, why);
    snapshot(call);
    const std::string ref = call.ref;
    call.retry_timer = loop_.addTimerAfter(std::chrono::seconds(q->setup.callback_retry_s),
                                           [this, ref] { requeueCallback(ref); });
    return;
  }
  // Given up: after the last try it failed; without a trunk or queue it is
  // left open for someone to call back by hand.
  const bool tried_all = miss == CallbackMiss::kNoAnswer && q != nullptr;
  records_.callbackProgress(call.tenant_id, call.parent_ref, call.ref,
                            tried_all ? "failed" : "open", call.callback_attempts, why);
  if (tried_all) queueEvent(call, *q, "callback_failed", "", 0, why);
  dequeue(call);
  hangup(call, "callback_failed", "system");
}

void CallControl::requeueCallback(const std::string& ref) {
  auto it = calls_.find(ref);
  if (it == calls_.end() || it->second->ended) return;
  Call& call = *it->second;
  call.retry_timer = 0;
  if (queues_.find(call.queue) == queues_.end()) {
    return callbackNotReached(call, "the queue was removed", CallbackMiss::kGiveUp);
  }
  call.acd_id = next_acd_id_++;
  acd_calls_[call.acd_id] = call.ref;
  records_.callbackProgress(call.tenant_id, call.parent_ref, call.ref, "queued",
                            call.callback_attempts, "");
  requeue(call, /*dispatch_now=*/true);
  if (!call.ended && call.offers.empty()) call.state = "callback_queued";
  snapshot(call);
}

}  // namespace ting::calls
