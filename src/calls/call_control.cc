#include "calls/call_control.h"

#include "calls/call_state.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <cctype>
#include <ctime>
#include <future>
#include <thread>

#include "common/crypto.h"
#include "ivr/session.h"
#include "sip/sdp.h"

namespace ting::calls {
namespace {

constexpr size_t kMaxLookupAnswer = 1 << 20;  // docs/ivr.md: at most 1 MiB

// 1 kHz for 400 ms before a voicemail.
media::ToneGenerator::Spec beep() {
  media::ToneGenerator::Spec s;
  s.freq1_hz = 1000;
  s.level = 0.3;
  s.total_ms = 400;
  return s;
}

}  // namespace

std::string recordingPath(std::int64_t tenant_id, UnixMillis began, const std::string& ref,
                          const std::string& suffix) {
  std::time_t t = began / 1000;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char day[40];
  std::snprintf(day, sizeof day, "%04d/%02d/%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return "recordings/" + std::to_string(tenant_id) + "/" + day + "/" + ref + suffix + ".wav";
}

std::string newCallRef(UnixMillis now) {
  std::string token = randomToken(9);
  for (char& c : token) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = 'x';
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%011llx", static_cast<unsigned long long>(now));
  return std::string(buf) + token;
}

Result<TrunkDial> trunkDial(const sip::SipDirectory& directory, std::int64_t tenant_id,
                            const std::string& trunk_name, const std::string& number,
                            const std::string& shown) {
  auto trunk = directory.outboundTrunk(tenant_id, trunk_name);
  if (!trunk) {
    return notFound(trunk_name.empty() ? "the tenant has no outbound trunk"
                                       : "no outbound trunk '" + trunk_name + "'");
  }
  TrunkDial d;
  d.uri = sip::dialUri(trunk->uri, number);
  d.caller = shown;
  if (d.caller.empty()) d.caller = trunk->caller_id.empty() ? trunk->username : trunk->caller_id;
  if (d.caller.empty()) d.caller = "anonymous";
  d.from = "<" + sip::dialUri(trunk->uri, d.caller) + ">";
  if (!trunk->username.empty()) {
    d.credentials = sip::TrunkCredentials{trunk->username, trunk->password};
  }
  return d;
}

Result<media::RemoteMedia> remoteFrom(const sip::AudioAnswer& answer) {
  media::RemoteMedia r;
  r.address.sin_family = AF_INET;
  r.address.sin_port = htons(answer.remote_port);
  if (::inet_pton(AF_INET, answer.remote_address.c_str(), &r.address.sin_addr) != 1) {
    return invalidValue("SDP connection address is not an IPv4 address");
  }
  r.codec = answer.codec == sip::Codec::kPcmu ? media::Codec::kPcmu : media::Codec::kPcma;
  r.payload_type = answer.codec_payload_type;
  r.telephone_event_type = answer.telephone_event_payload_type;
  using D = sip::MediaDirection;
  r.send = answer.direction == D::kSendRecv || answer.direction == D::kSendOnly;
  r.receive = answer.direction == D::kSendRecv || answer.direction == D::kRecvOnly;
  // A hold with c=0.0.0.0: nowhere to send.
  if (r.address.sin_addr.s_addr == 0) r.send = false;
  return r;
}

Result<media::RemoteMedia> remoteFromSdp(std::string_view sdp) {
  auto offer = sip::parseSdp(sdp);
  if (!offer) return offer.status();
  auto answer = sip::negotiate(*offer);
  if (!answer) return answer.status();
  return remoteFrom(*answer);
}

CallControl::CallControl(CallControlConfig config, sip::SipDirectory& directory,
                         FlowRegistry& flows, PromptSource& prompts, CallRecords& records,
                         EventBus& bus, const Clock& clock, MetricsRegistry* metrics)
    : config_(std::move(config)),
      directory_(directory),
      flows_(flows),
      prompts_(prompts),
      records_(records),
      bus_(bus),
      clock_(clock),
      loop_("calls"),
      http_(metrics) {
  if (metrics != nullptr) {
    calls_started_ = &metrics->counter("ting_calls_total", "Calls answered.", "");
    calls_rejected_ =
        &metrics->counter("ting_calls_rejected_total", "Calls refused (404, 488, 503).", "");
    offer_latency_ = &metrics->histogram(
        "ting_acd_offer_latency_seconds",
        "From the moment an agent and a waiting call could meet (the later of the agent "
        "becoming available and the call joining the queue) to the offer sent to the phone.",
        "",
        {10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3,
         100e-3, 250e-3, 1.0});
    metrics->gauge("ting_calls_active", "Calls in progress.",
                   [this] { return static_cast<double>(active_count_.load()); });
  }
}

CallControl::~CallControl() { loop_.stop(); }

void CallControl::attach(sip::SipStack* sip, media::MediaEngine* media) {
  sip_ = sip;
  media_ = media;
}

void CallControl::start() { loop_.start(); }

void CallControl::stop(std::chrono::seconds drain) {
  const auto deadline = std::chrono::steady_clock::now() + drain;
  // Poll the count with a short wait: shutdown only, never on a call path.
  while (active_count_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::promise<void> done;
  loop_.post([this, &done] {
    stopping_ = true;
    std::vector<Call*> all;
    for (auto& [ref, c] : calls_) all.push_back(c.get());
    for (Call* c : all) hangup(*c, "shutdown", "system");
    // Agent states live in memory: close each one in the log, so reports do
    // not count the time the server was down as logged in.
    const UnixMillis now = clock_.nowMillis();
    for (auto& [id, a] : agents_) {
      if (a->machine->state() == acd::AgentState::kLoggedOut) continue;
      auto t = a->machine->logout(now, "shutdown");
      if (t.isOk()) agentChanged(*a, std::move(t));
    }
    done.set_value();
  });
  done.get_future().wait();
  loop_.stop();
}

std::vector<ActiveCall> CallControl::activeCalls(std::int64_t tenant_id) const {
  std::vector<ActiveCall> out;
  std::lock_guard lock(snapshot_mu_);
  for (const auto& [ref, c] : snapshots_) {
    if (c.tenant_id == tenant_id) out.push_back(c);
  }
  std::sort(out.begin(), out.end(),
            [](const ActiveCall& a, const ActiveCall& b) { return a.arrived_at > b.arrived_at; });
  return out;
}

// --- listener callbacks: post to the loop ---

void CallControl::onIncomingCall(sip::IncomingCall call) {
  loop_.post([this, call = std::move(call)]() mutable { incoming(std::move(call)); });
}
void CallControl::onReinvite(sip::LegId leg, std::string sdp) {
  loop_.post([this, leg, sdp = std::move(sdp)] { reinvite(leg, sdp); });
}
void CallControl::onOutgoingAnswer(sip::LegId leg, int status, std::string sdp) {
  loop_.post([this, leg, status, sdp = std::move(sdp)] { outgoingAnswer(leg, status, sdp); });
}
void CallControl::onTerminated(sip::LegId leg, bool by_remote, int status, std::string cause) {
  loop_.post([this, leg, by_remote, status, cause = std::move(cause)] {
    terminated(leg, by_remote, status, cause);
  });
}
void CallControl::onReinviteAnswer(sip::LegId leg, int status, std::string sdp) {
  loop_.post([this, leg, status, sdp = std::move(sdp)] {
    Call* call = byLeg(leg);
    if (call == nullptr || call->ended || leg != call->agent_leg) return;
    if (status >= 300) {
      spdlog::info("call {}: the phone refused a re-INVITE ({})", call->ref, status);
      return;
    }
    if (auto remote = remoteFromSdp(sdp); remote.isOk()) media_->setRemote(call->agent_media, *remote);
  });
}

void CallControl::onDtmf(media::SessionId session, char d) {
  loop_.post([this, session, d] { digit(session, d); });
}
void CallControl::onPlayDone(media::SessionId session, std::uint64_t play_id, bool) {
  loop_.post([this, session, play_id] { playDone(session, play_id); });
}
void CallControl::onRecordingDone(media::SessionId session, std::uint64_t record_id, Status status,
                                  std::uint64_t duration_ms) {
  bool ok = status.isOk();
  loop_.post([this, session, record_id, ok, duration_ms] {
    recordingDone(session, record_id, ok, duration_ms);
  });
}
void CallControl::onMediaTimeout(media::SessionId session) {
  loop_.post([this, session] {
    if (Call* c = byMedia(session); c != nullptr && !c->held) hangup(*c, "media_timeout", "system");
  });
}

// --- loop thread ---

CallControl::Call* CallControl::byLeg(sip::LegId leg) {
  auto it = by_leg_.find(leg);
  if (it == by_leg_.end()) return nullptr;
  auto c = calls_.find(it->second);
  return c == calls_.end() ? nullptr : c->second.get();
}

CallControl::Call* CallControl::byMedia(media::SessionId session) {
  auto it = by_media_.find(session);
  if (it == by_media_.end()) return nullptr;
  auto c = calls_.find(it->second);
  return c == calls_.end() ? nullptr : c->second.get();
}

void CallControl::publish(const Call& call, const std::string& name, std::string data_json) {
  DomainEvent e;
  e.topic = "calls";
  e.name = name;
  e.tenant_id = call.tenant_id;
  e.at = clock_.nowMillis();
  e.data_json = std::move(data_json);
  bus_.publish(e);
}

void CallControl::snapshot(const Call& call) {
  std::lock_guard lock(snapshot_mu_);
  if (call.ended) {
    snapshots_.erase(call.ref);
    return;
  }
  ActiveCall& a = snapshots_[call.ref];
  a.ref = call.ref;
  a.tenant_id = call.tenant_id;
  a.from_number = call.from_number;
  a.to_number = call.to_number;
  a.did = call.did;
  a.state = call.held ? "held" : call.state;
  a.ivr_node = call.ivr ? std::string(call.ivr->currentNode()) : "";
  a.arrived_at = call.arrived_at;
  a.answered_at = call.answered_at;
  a.transfer_target = call.transfer_target;
}

void CallControl::incoming(sip::IncomingCall in) {
  auto reject = [&](int status, int retry_after = 0) {
    if (calls_rejected_) calls_rejected_->inc();
    sip_->reject(in.leg, status, retry_after);
  };
  if (static_cast<int>(active_count_.load()) >= config_.max_calls) {
    return reject(503, 5);
  }
  auto tenant = directory_.tenantById(in.tenant_id);
  if (tenant && tenant->max_calls > 0 && per_tenant_[in.tenant_id] >= tenant->max_calls) {
    return reject(503, 5);
  }
  auto flow = flows_.forDid(in.tenant_id, in.to_user);
  if (!flow) return reject(404);
  auto offer = sip::parseSdp(in.sdp);
  if (!offer) return reject(488);
  auto answer = sip::negotiate(*offer);
  if (!answer) return reject(488);
  auto remote = remoteFrom(*answer);
  if (!remote) return reject(488);
  auto allocated = media_->allocate();
  if (!allocated) return reject(503, 5);

  const UnixMillis now = clock_.nowMillis();
  auto call = std::make_unique<Call>();
  Call& c = *call;
  c.ref = newCallRef(now);
  c.tenant_id = in.tenant_id;
  c.leg = in.leg;
  c.media = allocated->id;
  c.media_port = allocated->port;
  c.sdp_session = static_cast<std::uint64_t>(now);
  c.from_number = in.from_user;
  c.to_number = in.to_user;
  c.did = in.to_user;
  c.arrived_at = now;
  c.flow = *flow;
  c.recording_path = recordingPath(c.tenant_id, now, c.ref);
  media_->setRemote(c.media, *remote);

  sip::LocalMedia local{sip_->advertisedHost(), c.media_port, c.sdp_session, c.sdp_version};
  c.answer_sdp = sip::writeSdp(local, &*answer);

  CallRecord record;
  record.ref = c.ref;
  record.tenant_id = c.tenant_id;
  record.sip_call_id = in.sip_call_id;
  record.from_number = c.from_number;
  record.to_number = c.to_number;
  record.did = c.did;
  record.trunk_id = in.trunk_id;
  record.flow_id = c.flow.flow_id;
  record.flow_version = c.flow.version;
  record.arrived_at = now;
  record.recording_path = c.recording_path;
  records_.created(std::move(record));

  by_leg_[c.leg] = c.ref;
  by_media_[c.media] = c.ref;
  setLive(c, true);
  boost::json::object data{{"call_id", c.ref},     {"from", c.from_number},
                           {"to", c.to_number},    {"did", c.did},
                           {"flow_id", c.flow.flow_id}, {"flow_version", c.flow.version}};
  publish(c, "call.started", boost::json::serialize(data));
  calls_.emplace(c.ref, std::move(call));
  snapshot(c);
  lookupCustomer(c, c.from_number);
  if (config_.answer_delay_ms <= 0) return answerCall(c);
  // Ring first: the caller hears ringback from their own network, and may
  // still give up (CANCEL) before Ting answers.
  sip_->ringing(c.leg);
  const std::string ref = c.ref;
  c.timer = loop_.addTimerAfter(std::chrono::milliseconds(config_.answer_delay_ms), [this, ref] {
    auto it = calls_.find(ref);
    if (it == calls_.end() || it->second->ended) return;
    it->second->timer = 0;
    answerCall(*it->second);
  });
}

void CallControl::answerCall(Call& c) {
  const UnixMillis now = clock_.nowMillis();
  sip_->answer(c.leg, std::move(c.answer_sdp));
  c.answer_sdp.clear();
  c.answered_at = now;
  c.state = "ivr";
  media_->startRecording(c.media, config_.data_dir / c.recording_path);
  c.recording_started = true;
  records_.answered(c.tenant_id, c.ref, now);
  if (calls_started_) calls_started_->inc();
  c.ivr = std::make_unique<ivr::Session>(c.flow.flow, ivr::CallInfo{c.ref, c.from_number, c.did});
  snapshot(c);
  run(c, c.ivr->start(now));
}

void CallControl::run(Call& call, ivr::Actions actions) {
  const std::string ref = call.ref;
  for (auto& action : actions) {
    if (calls_.find(ref) == calls_.end() || call.ended) return;
    if (auto* a = std::get_if<ivr::NodeEntered>(&action)) {
      boost::json::object data{{"call_id", call.ref}, {"node", a->node_id}, {"type", a->type}};
      publish(call, "call.ivr_node", boost::json::serialize(data));
    } else if (auto* p = std::get_if<ivr::Play>(&action)) {
      play(call, *p);
    } else if (std::get_if<ivr::StopPlay>(&action)) {
      media_->stopPlay(call.media);
    } else if (auto* r = std::get_if<ivr::Record>(&action)) {
      std::string path = recordingPath(call.tenant_id, call.arrived_at, call.ref,
                                       "-message-" + std::to_string(++call.messages));
      call.message_paths[r->id] = path;
      media_->playTone(call.media, kBeepPlayId, beep());
      media_->startCapture(call.media, r->id, config_.data_dir / path, r->max_seconds * 1000);
    } else if (std::get_if<ivr::StopRecord>(&action)) {
      media_->stopCapture(call.media);
    } else if (auto* h = std::get_if<ivr::HttpLookup>(&action)) {
      // On the fetch thread; the answer comes back to this loop. The IVR
      // ignores an answer to a lookup it no longer waits for.
      const std::uint64_t id = h->id;
      http_.fetch({h->url, h->timeout_ms, kMaxLookupAnswer, [this, ref, id](Result<std::string> r) {
                     loop_.post([this, ref, id, r = std::move(r)] {
                       auto it = calls_.find(ref);
                       if (it == calls_.end() || it->second->ended || !it->second->ivr) return;
                       run(*it->second, it->second->ivr->onLookupDone(id, r, clock_.nowMillis()));
                     });
                   }});
    } else if (auto* pr = std::get_if<ivr::PauseRecording>(&action)) {
      media_->pauseRecording(call.media, pr->paused);
    } else if (auto* t = std::get_if<ivr::Transfer>(&action)) {
      transfer(call, *t);
    } else if (auto* cb = std::get_if<ivr::CallbackRequest>(&action)) {
      records_.callbackRequested(call.tenant_id, call.ref, call.from_number, cb->recording_ref);
    } else if (auto* hu = std::get_if<ivr::Hangup>(&action)) {
      hangup(call, hu->cause == "normal" ? "ivr_hangup" : hu->cause, "ivr");
      return;
    }
  }
  rearm(call);
  snapshot(call);
}

void CallControl::rearm(Call& call) {
  if (call.timer != 0) {
    loop_.cancel(call.timer);
    call.timer = 0;
  }
  if (!call.ivr || call.ended) return;
  auto deadline = call.ivr->deadline();
  if (!deadline) return;
  auto delay = std::max<std::int64_t>(0, *deadline - clock_.nowMillis());
  const std::string ref = call.ref;
  call.timer = loop_.addTimerAfter(std::chrono::milliseconds(delay), [this, ref] {
    auto it = calls_.find(ref);
    if (it == calls_.end()) return;
    Call& c = *it->second;
    c.timer = 0;
    if (c.ivr) run(c, c.ivr->onTimer(clock_.nowMillis()));
  });
}

void CallControl::play(Call& call, const ivr::Play& p) {
  // Fetch every segment (cached TTS or uploads), then start playback. The
  // results come back on other threads; count them in on this one.
  struct Pending {
    std::vector<media::PcmPtr> segments;
    size_t remaining;
  };
  auto pending = std::make_shared<Pending>();
  pending->segments.resize(p.prompts.size());
  pending->remaining = p.prompts.size();
  const std::string ref = call.ref;
  const std::uint64_t play_id = p.id;
  if (p.prompts.empty()) {
    media_->play(call.media, play_id, {}, false);
    return;
  }
  for (size_t i = 0; i < p.prompts.size(); ++i) {
    prompts_.fetch(call.tenant_id, p.prompts[i],
                   [this, ref, play_id, pending, i](Result<media::PcmPtr> pcm) {
                     loop_.post([this, ref, play_id, pending, i, pcm = std::move(pcm)] {
                       if (pcm) {
                         pending->segments[i] = *pcm;
                       } else {
                         spdlog::warn("call {}: prompt unavailable: {}", ref,
                                      pcm.status().message());
                       }
                       if (--pending->remaining != 0) return;
                       auto it = calls_.find(ref);
                       if (it == calls_.end() || it->second->ended) return;
                       media_->play(it->second->media, play_id, std::move(pending->segments),
                                    false);
                     });
                   });
  }
}

void CallControl::transfer(Call& call, const ivr::Transfer& t) {
  if (!t.queue.empty()) return enterQueue(call, t.queue);
  // Where the new leg goes, and who it says is calling.
  std::string target_uri, from, target_key = "extension", target = t.extension;
  std::optional<sip::TrunkCredentials> credentials;
  if (!t.number.empty()) {
    auto dial = trunkDial(directory_, call.tenant_id, t.trunk, t.number,
                          t.present_caller ? call.from_number : "");
    if (!dial) return transferFailed(call, dial.status().message());
    target_key = "number";
    target = t.number;
    target_uri = std::move(dial->uri);
    from = std::move(dial->from);
    credentials = std::move(dial->credentials);
  } else {
    auto reg = sip_->findRegistration(call.tenant_id, t.extension);
    if (!reg) return transferFailed(call, "extension " + t.extension + " is not registered");
    target_uri = reg->contact;
    auto tenant = directory_.tenantById(call.tenant_id);
    from = "<sip:" + (call.from_number.empty() ? "anonymous" : call.from_number) + "@" +
           (tenant ? tenant->realm : sip_->advertisedHost()) + ">";
  }
  auto allocated = media_->allocateNear(call.media);
  if (!allocated) return transferFailed(call, "no media ports");
  call.agent_media = allocated->id;
  call.agent_port = allocated->port;
  call.agent_sdp_session = call.sdp_session + 1;
  call.agent_sdp_version = 0;
  call.transfer_target = target;
  call.transfer_kind = target_key;
  call.state = "transferring";
  by_media_[call.agent_media] = call.ref;
  sip::LocalMedia local{sip_->advertisedHost(), call.agent_port, call.agent_sdp_session, 0};
  call.agent_leg =
      sip_->invite(target_uri, from, sip::writeSdp(local, nullptr), std::move(credentials));
  by_leg_[call.agent_leg] = call.ref;
  media_->playTone(call.media, kRingbackPlayId, ringback());
  hangUpUnanswered(call, call.agent_leg);
  boost::json::object data{{"call_id", call.ref}, {target_key, target}};
  publish(call, "call.transferring", boost::json::serialize(data));
  snapshot(call);
}

void CallControl::hangUpUnanswered(Call& call, sip::LegId leg) {
  const std::string ref = call.ref;
  call.transfer_timer =
      loop_.addTimerAfter(std::chrono::seconds(config_.transfer_ring_s), [this, ref, leg] {
        auto it = calls_.find(ref);
        if (it == calls_.end() || it->second->bridged) return;
        it->second->transfer_timer = 0;
        auto l = by_leg_.find(leg);
        // CANCEL; onTerminated reports the failure.
        if (l != by_leg_.end() && l->second == ref) sip_->hangup(leg);
      });
}

void CallControl::transferFailed(Call& call, const std::string& why) {
  spdlog::info("call {}: transfer failed: {}", call.ref, why);
  if (call.transfer_timer != 0) loop_.cancel(call.transfer_timer);
  call.transfer_timer = 0;
  if (call.agent_media != 0) {
    by_media_.erase(call.agent_media);
    media_->release(call.agent_media);
    call.agent_media = 0;
  }
  if (call.agent_leg != 0) {
    by_leg_.erase(call.agent_leg);
    call.agent_leg = 0;
  }
  media_->stopPlay(call.media);
  call.state = "ivr";
  call.transfer_target.clear();
  if (call.ivr) run(call, call.ivr->onTransferFailed(clock_.nowMillis()));
}

void CallControl::outgoingAnswer(sip::LegId leg, int status, const std::string& sdp) {
  Call* call = byLeg(leg);
  if (call == nullptr || status >= 300) return;  // onTerminated reports failures
  // Every phone Ting calls answers with SDP: one reading serves them all.
  const auto remote = remoteFromSdp(sdp);
  if (leg == call->consult.leg && call->consult.leg != 0) return consultAnswered(*call, remote);
  if (leg == call->leg && !call->callback_number.empty()) return callbackAnswered(*call, remote);
  if (leg == call->sup_leg && call->sup_leg != 0) {
    if (!remote) {
      stopMonitor(*call);
      return;
    }
    media_->setRemote(call->sup_media, *remote);
    call->sup_connected = true;
    return applyMonitor(*call);
  }
  if (call->agent_leg != leg) {
    for (const auto& o : call->offers) {
      if (o.leg == leg) return offerAnswered(*call, leg, remote);
    }
    return;
  }
  if (!remote) {
    spdlog::warn("call {}: phone answered with unusable SDP: {}", call->ref,
                 remote.status().message());
    sip_->hangup(leg);
    return;
  }
  if (call->transfer_timer != 0) loop_.cancel(call->transfer_timer);
  call->transfer_timer = 0;
  bridgeTo(*call, &*remote);
}

void CallControl::bridgeTo(Call& call, const media::RemoteMedia* remote) {
  if (remote != nullptr) media_->setRemote(call.agent_media, *remote);
  media_->stopPlay(call.media);
  media_->bridge(call.media, call.agent_media);
  call.bridged = true;
  call.state = "bridged";
  if (call.timer != 0) loop_.cancel(call.timer);
  call.timer = 0;
  boost::json::object data{{"call_id", call.ref}, {call.transfer_kind, call.transfer_target}};
  publish(call, "call.bridged", boost::json::serialize(data));
  snapshot(call);
}

void CallControl::reinvite(sip::LegId leg, const std::string& sdp) {
  Call* call = byLeg(leg);
  if (call == nullptr) {
    sip_->respondReinvite(leg, 481, "");
    return;
  }
  auto offer = sip::parseSdp(sdp);
  auto answer = offer ? sip::negotiate(*offer) : Result<sip::AudioAnswer>(offer.status());
  auto remote = answer ? remoteFrom(*answer) : Result<media::RemoteMedia>(answer.status());
  if (!remote) {
    sip_->respondReinvite(leg, 488, "");
    return;
  }
  if (leg == call->leg) {
    media_->setRemote(call->media, *remote);
    const bool held = offer->isHold();
    if (held != call->held) {
      call->held = held;
      boost::json::object data{{"call_id", call->ref}};
      publish(*call, held ? "call.held" : "call.resumed", boost::json::serialize(data));
    }
    sip::LocalMedia local{sip_->advertisedHost(), call->media_port, call->sdp_session,
                          ++call->sdp_version};
    sip_->respondReinvite(leg, 200, sip::writeSdp(local, &*answer));
  } else if (leg == call->agent_leg) {
    media_->setRemote(call->agent_media, *remote);
    sip::LocalMedia local{sip_->advertisedHost(), call->agent_port, call->agent_sdp_session,
                          ++call->agent_sdp_version};
    sip_->respondReinvite(leg, 200, sip::writeSdp(local, &*answer));
    // The agent put the customer on hold (or back) from the phone: music as
    // through the API.
    if (call->agent_user != 0 && call->consult.leg == 0 && call->phase.empty() &&
        (call->bridged || call->on_hold)) {
      hold(*call, offer->isHold(), /*by_agent=*/true, /*from_phone=*/true);
    }
  } else {
    // A supervisor's or a consulted agent's phone (or one still ringing).
    OfferLeg* other = leg == call->consult.leg ? &call->consult : nullptr;
    media::SessionId media = leg == call->sup_leg ? call->sup_media : 0;
    std::uint16_t port = leg == call->sup_leg ? call->sup_port : 0;
    std::uint64_t session = call->sdp_session + 64;  // the monitor phone's (startMonitor)
    if (other == nullptr) {
      for (auto& o : call->offers) {
        if (o.leg == leg) other = &o;
      }
    }
    if (other != nullptr) {
      media = other->media;
      port = other->port;
      session = other->sdp_session;
    }
    if (media == 0) {
      sip_->respondReinvite(leg, 481, "");
      return;
    }
    media_->setRemote(media, *remote);
    sip::LocalMedia local{sip_->advertisedHost(), port, session, ++call->sdp_version};
    sip_->respondReinvite(leg, 200, sip::writeSdp(local, &*answer));
  }
  snapshot(*call);
}

void CallControl::terminated(sip::LegId leg, bool by_remote, int status,
                             const std::string& cause) {
  Call* call = byLeg(leg);
  by_leg_.erase(leg);
  if (call == nullptr) return;
  for (const auto& o : call->offers) {
    if (o.leg == leg) return offerEnded(*call, leg, status);
  }
  if (leg == call->sup_leg) {
    call->sup_leg = 0;  // already gone; stopMonitor need not hang it up
    return stopMonitor(*call);
  }
  if (leg == call->consult.leg) return endConsult(*call, status, false);
  if (leg == call->agent_leg) {
    call->agent_leg = 0;
    if (call->agent_user != 0) return agentLegEnded(*call);
    if (!call->bridged) return transferFailed(*call, "the phone did not answer (" + cause + ")");
    return hangup(*call, "agent_hangup", "agent");
  }
  call->leg = 0;
  if (!call->callback_number.empty() && !call->bridged) {
    return callbackNotReached(*call,
                              "the customer did not answer (SIP " + std::to_string(status) + ")",
                              CallbackMiss::kNoAnswer);
  }
  finish(*call, by_remote ? (cause == "cancel" ? "caller_cancel" : "caller_hangup") : cause,
         by_remote ? "caller" : "system");
}

void CallControl::hangup(Call& call, const std::string& cause, const std::string& by) {
  if (call.leg != 0) {
    by_leg_.erase(call.leg);
    sip_->hangup(call.leg);
    call.leg = 0;
  }
  finish(call, cause, by);
}

void CallControl::finish(Call& call, const std::string& cause, const std::string& by) {
  if (call.ended) return;
  call.ended = true;
  const UnixMillis now = clock_.nowMillis();
  if (call.timer != 0) loop_.cancel(call.timer);
  if (call.transfer_timer != 0) loop_.cancel(call.transfer_timer);
  if (call.agent_leg != 0) {
    by_leg_.erase(call.agent_leg);
    sip_->hangup(call.agent_leg);
  }
  if (call.ivr && by == "caller") call.ivr->onCallerHangup(now);
  leaveQueue(call);  // the ACD: abandoned while waiting, offers withdrawn, agent to wrap-up
  stopMonitor(call);
  endConsult(call, 0, true);
  // Media sessions stay mapped until their recordings report done.
  if (call.retry_timer != 0) loop_.cancel(call.retry_timer);
  call.retry_timer = 0;
  if (call.agent_media != 0) media_->release(call.agent_media);
  if (call.media != 0) media_->release(call.media);
  records_.ended(call.tenant_id, call.ref, now, cause, by, call.ivr ? call.ivr->pathJson() : "[]",
                 call.transfer_target);
  boost::json::object data{{"call_id", call.ref}, {"cause", cause}, {"hangup_by", by},
                           {"duration_ms", now - call.arrived_at}};
  publish(call, "call.ended", boost::json::serialize(data));
  snapshot(call);
  setLive(call, false);
  // Keep the Call until the recording is closed (recordingDone erases it);
  // one never recorded (cancelled while ringing, a callback never reached)
  // goes once the code that ended it has returned.
  if (!call.recording_started) {
    loop_.post([this, ref = call.ref] {
      auto it = calls_.find(ref);
      if (it == calls_.end()) return;
      for (auto session : {it->second->media, it->second->agent_media}) {
        if (session != 0) by_media_.erase(session);
      }
      calls_.erase(it);
    });
  }
}

void CallControl::lookupCustomer(Call& call, const std::string& number) {
  if (customers_ == nullptr || number.empty()) {
    call.customers_known = true;
    return;
  }
  const std::string ref = call.ref;
  customers_->lookup(call.tenant_id, number, [this, ref](calls::CustomerMatch match) {
    loop_.post([this, ref, match = std::move(match)] {
      auto it = calls_.find(ref);
      if (it == calls_.end() || it->second->ended) return;
      Call& c = *it->second;
      c.customer_ids = match.ids;
      c.customer_cards_json = match.cards_json;
      c.customers_known = true;
      if (match.ids.size() == 1) records_.customerMatched(c.tenant_id, c.ref, match.ids.front());
      boost::system::error_code ec;
      boost::json::value cards = boost::json::parse(match.cards_json, ec);
      if (ec) cards = boost::json::array();
      publish(c, "call.customers",
              boost::json::serialize(boost::json::object{
                  {"call_id", c.ref},
                  {"customer_ids", boost::json::value_from(match.ids)},
                  {"customers", std::move(cards)}}));
    });
  });
}

void CallControl::setLive(Call& call, bool live) {
  if (call.live == live) return;
  call.live = live;
  if (live) {
    ++per_tenant_[call.tenant_id];
    active_count_.fetch_add(1);
    return;
  }
  if (--per_tenant_[call.tenant_id] <= 0) per_tenant_.erase(call.tenant_id);
  active_count_.fetch_sub(1);
}

void CallControl::digit(media::SessionId session, char d) {
  Call* call = byMedia(session);
  if (call == nullptr || call->ended || session != call->media) return;
  boost::json::object data{{"call_id", call->ref}, {"digit", std::string(1, d)}};
  publish(*call, "call.dtmf", boost::json::serialize(data));
  if (!call->queue.empty() && (call->acd_id != 0 || !call->phase.empty())) {
    return queueDigit(*call, d);  // queued (callback key) or in the survey
  }
  if (call->ivr && !call->bridged) run(*call, call->ivr->onDigit(d, clock_.nowMillis()));
}

void CallControl::playDone(media::SessionId session, std::uint64_t play_id) {
  if (play_id == kBeepPlayId || play_id == kRingbackPlayId) return;
  Call* call = byMedia(session);
  if (call == nullptr || call->ended || session != call->media) return;
  if (play_id >= kFirstQueuePlayId) return queuePlayDone(*call, play_id);
  if (!call->ivr) return;
  run(*call, call->ivr->onPlayDone(play_id, clock_.nowMillis()));
}

void CallControl::recordingDone(media::SessionId session, std::uint64_t record_id, bool ok,
                                std::uint64_t duration_ms) {
  Call* call = byMedia(session);
  if (call == nullptr) return;
  if (record_id == 0) {
    // The two-channel call recording is complete: the call is fully done.
    records_.recordingDone(call->tenant_id, call->ref, static_cast<std::int64_t>(duration_ms));
    if (call->ended && session == call->media) {
      const std::string ref = call->ref;
      by_media_.erase(session);
      if (call->agent_media != 0) by_media_.erase(call->agent_media);
      calls_.erase(ref);
    }
    return;
  }
  auto path = call->message_paths.find(record_id);
  std::string ref = path == call->message_paths.end() ? "" : path->second;
  if (call->ivr && !call->ended) {
    run(*call, call->ivr->onRecordDone(record_id, ok && duration_ms > 0, ref, clock_.nowMillis()));
  }
}

}  // namespace ting::calls
