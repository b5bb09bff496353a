#pragma once
// Call control's private state: a call in progress, and the ACD's agents and
// queues as call control keeps them. Loop thread only.

#include <chrono>
#include <map>
#include <memory>
#include <future>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "acd/agent_state.h"
#include "calls/acd_setup.h"
#include "calls/call_control.h"
#include "calls/flow_registry.h"
#include "common/event_loop.h"
#include "ivr/session.h"
#include "sip/sdp.h"

namespace ting::calls {

// Play ids of Ting's own sounds; the IVR numbers its plays from 1.
inline constexpr std::uint64_t kBeepPlayId = ~std::uint64_t{0};
inline constexpr std::uint64_t kRingbackPlayId = kBeepPlayId - 1;
inline constexpr std::uint64_t kFirstQueuePlayId = kBeepPlayId - 16;
inline constexpr std::uint64_t kAnnouncePlayId = kFirstQueuePlayId;  // position and wait
inline constexpr std::uint64_t kMohPlayId = kFirstQueuePlayId + 1;
inline constexpr std::uint64_t kStaffNoPlayId = kFirstQueuePlayId + 2;  // 报工号
inline constexpr std::uint64_t kSurveyPlayId = kFirstQueuePlayId + 3;
inline constexpr std::uint64_t kGoodbyePlayId = kFirstQueuePlayId + 4;  // then hang up

// The Chinese ringback tone (GB 450 Hz, 1 s on, 4 s off) while a phone rings.
inline media::ToneGenerator::Spec ringback() {
  media::ToneGenerator::Spec s;
  s.freq1_hz = 450;
  s.level = 0.2;
  s.on_ms = 1000;
  s.off_ms = 4000;
  return s;
}

// Where a call's recording (suffix "") or left message ("-message-N") is
// stored, relative to the data directory: under the tenant and the day the
// call began (UTC), named by Ting's own call id.
std::string recordingPath(std::int64_t tenant_id, UnixMillis began, const std::string& ref,
                          const std::string& suffix = "");
// Ting's own call id: time-ordered and random, never taken from SIP.
std::string newCallRef(UnixMillis now);

// How to place a call to `number` through the tenant's outbound trunk
// `trunk` ("" the first), showing `shown` (empty: the trunk's caller ID).
struct TrunkDial {
  std::string uri, from;
  std::string caller;  // the number the called party sees (the user part of `from`)
  std::optional<sip::TrunkCredentials> credentials;
};
Result<TrunkDial> trunkDial(const sip::SipDirectory& directory, std::int64_t tenant_id,
                            const std::string& trunk, const std::string& number,
                            const std::string& shown);

// The media a peer's SDP answer or offer asks for; kInvalidValue when unusable.
Result<media::RemoteMedia> remoteFrom(const sip::AudioAnswer& answer);
// The same from the SDP text a called phone answered with.
Result<media::RemoteMedia> remoteFromSdp(std::string_view sdp);

// A phone ringing with a queued call.
struct OfferLeg {
  std::int64_t agent = 0;  // user id
  sip::LegId leg = 0;
  media::SessionId media = 0;
  std::uint16_t port = 0;
  std::uint64_t sdp_session = 0;  // the o= session id Ting offered the phone
};

struct CallControl::Call {
  std::string ref;
  std::int64_t tenant_id = 0;
  sip::LegId leg = 0;
  media::SessionId media = 0;
  std::uint16_t media_port = 0;
  std::uint64_t sdp_session = 0;
  std::uint64_t sdp_version = 0;
  std::string from_number, to_number, did;
  UnixMillis arrived_at = 0, answered_at = 0;
  std::string state = "ringing";
  FlowRef flow;
  std::unique_ptr<ivr::Session> ivr;
  EventLoop::TimerId timer = 0;
  std::string recording_path;  // relative to the data dir
  std::string answer_sdp;      // until the call is answered
  int messages = 0;
  std::map<std::uint64_t, std::string> message_paths;  // record id → relative path
  bool held = false;
  // transfer to a phone
  sip::LegId agent_leg = 0;
  media::SessionId agent_media = 0;
  std::uint16_t agent_port = 0;
  std::uint64_t agent_sdp_session = 0;  // Ting's o= line towards the phone
  std::uint64_t agent_sdp_version = 0;
  std::string transfer_target;
  std::string transfer_kind;  // "extension" or "number"
  EventLoop::TimerId transfer_timer = 0;
  bool bridged = false;
  bool ended = false;

  // ACD (call_queue.cc).
  std::string queue;            // the queue's key while queued or after
  acd::CallId acd_id = 0;       // the router's id while queued or offered
  UnixMillis queued_at = 0;     // when it entered the queue (kept on requeue)
  std::chrono::steady_clock::time_point joined;  // this time, for the offer latency
  int priority = 0;
  // What an agent must have (skills_based queues): the queue's requirements
  // with the IVR variable `skills` (docs/acd.md).
  std::vector<acd::SkillRequirement> skills;
  // The CRM's customers with the caller's number, once looked up.
  std::vector<std::int64_t> customer_ids;
  std::string customer_cards_json = "[]";  // CustomerMatch::cards_json
  bool customers_known = false;
  std::vector<OfferLeg> offers;  // phones ringing with this call
  EventLoop::TimerId offer_timer = 0;
  EventLoop::TimerId max_wait_timer = 0;
  EventLoop::TimerId announce_timer = 0;
  std::int64_t agent_user = 0;  // the agent who answered
  std::string agent_staff_no;
  std::string phase;  // "" , "announcing" (报工号), "survey", "goodbye"
  bool on_hold = false;          // put on hold through the API (music plays)
  bool recording_paused = false;  // through the API
  // A supervisor's phone: ringing (monitor_mode set, not yet answered) or in.
  sip::LegId sup_leg = 0;
  media::SessionId sup_media = 0;
  std::uint16_t sup_port = 0;
  std::string sup_staff_no;
  std::string monitor_mode;  // listen, whisper, barge
  bool sup_connected = false;
  // Attended transfer: the agent consults another agent (the customer on hold).
  OfferLeg consult;
  bool consult_connected = false;
  EventLoop::TimerId consult_timer = 0;
  EventLoop::TimerId survey_timer = 0;
  // Counted as a call in progress (per tenant and server): it has, or had, a
  // SIP leg. A queued callback waiting for its turn is not.
  bool live = false;
  bool recording_started = false;
  // A queued callback (queued_callback.cc): Ting dials `callback_number` for
  // the agent who takes it; `parent_ref` is the call the customer asked in.
  std::string callback_number;
  std::string parent_ref;
  int callback_attempts = 0;  // dialled so far
  EventLoop::TimerId retry_timer = 0;
};

struct CallControl::AcdAgent {
  AgentSetup setup;
  std::unique_ptr<acd::AgentStateMachine> machine;
  std::vector<std::string> queues;  // keys, in the order joined
  UnixMillis since = 0;             // when the current state began
  std::chrono::steady_clock::time_point routable;  // last made available to the router
  EventLoop::TimerId wrap_timer = 0;
  EventLoop::TimerId cooldown_timer = 0;  // after a reject or miss
  std::string call_ref;  // offered or talking
  std::string queue;     // the queue of that call
};

struct CallControl::AcdQueue {
  QueueSetup setup;
  std::string key;
  std::set<std::string> waiting;  // call refs queued (not while offered)
  double avg_handle_ms = 180'000;  // talk and wrap-up, smoothed; for wait estimates
  EventLoop::TimerId widen_timer = 0;
};

// Runs `fn` on the call-control thread and returns its result (API calls).
template <typename Fn>
auto CallControl::onLoop(Fn fn) -> decltype(fn()) {
  std::promise<decltype(fn())> done;
  auto result = done.get_future();
  loop_.post([&] { done.set_value(fn()); });
  return result.get();
}

}  // namespace ting::calls
