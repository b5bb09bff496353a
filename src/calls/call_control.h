#pragma once
// Call control: the one thread that owns every call. It takes INVITEs from
// the SIP stack, answers them with media from the media engine, runs each
// call's IVR session, transfers calls to phones and bridges them, and writes
// call records. Other threads reach it only by posting (SipListener and
// MediaListener callbacks post here and return at once).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "acd/router.h"
#include "calls/acd_setup.h"
#include "calls/call_records.h"
#include "calls/flow_registry.h"
#include "calls/http_fetch.h"
#include "common/clock.h"
#include "common/event_bus.h"
#include "common/event_loop.h"
#include "common/metrics.h"
#include "ivr/action.h"
#include "media/media_engine.h"
#include "sip/directory.h"
#include "sip/sip_stack.h"

namespace ting::ivr {
class Session;
}

namespace ting::calls {

struct OfferLeg;

// Where prompt audio comes from (TTS cache, uploads). `done` may run on any
// thread; call control posts the result to its own.
class PromptSource {
 public:
  virtual ~PromptSource() = default;
  virtual void fetch(std::int64_t tenant_id, const ivr::Prompt& prompt,
                     std::function<void(Result<media::PcmPtr>)> done) = 0;
};

// Finds the customers a number belongs to (the CRM) off the call-control
// thread. `done` may run on any thread; call control posts the result to its
// own.
// The CRM's answer for a caller's number.
struct CustomerMatch {
  std::vector<std::int64_t> ids;
  // The screen-pop cards, a JSON array: each customer with their open work
  // orders and latest calls (built by the CRM side; call control passes it on).
  std::string cards_json = "[]";
};

class CustomerLookup {
 public:
  virtual ~CustomerLookup() = default;
  virtual void lookup(std::int64_t tenant_id, std::string number,
                      std::function<void(CustomerMatch)> done) = 0;
};

struct CallControlConfig {
  int max_calls = 1000;  // server-wide concurrent calls; more get 503
  std::filesystem::path data_dir;  // recordings under data_dir/recordings
  int transfer_ring_s = 30;        // how long a transferred call rings a phone
  int answer_delay_ms = 0;         // ring (180) this long before answering; 0: answer at once
};

// A call in progress, as the API lists it.
struct ActiveCall {
  std::string ref;
  std::int64_t tenant_id = 0;
  std::string from_number, to_number, did;
  std::string state;  // ringing, ivr, transferring, bridged, held
  std::string ivr_node;
  UnixMillis arrived_at = 0;
  UnixMillis answered_at = 0;
  std::string transfer_target;
};

// A queued callback to put back in its queue (after a restart).
struct PendingCallback {
  std::int64_t tenant_id = 0;
  std::string origin_ref;  // the call the customer asked in
  std::string number;
  std::string queue;       // the queue's name
  std::string did;
  UnixMillis queued_at = 0;  // the customer's place
  int priority = 0;
  int attempts = 0;  // dialled already
  std::vector<acd::SkillRequirement> skills;  // the call's own, beyond its queue's
};

class CallControl final : public sip::SipListener, public media::MediaListener {
 public:
  CallControl(CallControlConfig config, sip::SipDirectory& directory, FlowRegistry& flows,
              PromptSource& prompts, CallRecords& records, EventBus& bus, const Clock& clock,
              MetricsRegistry* metrics);
  ~CallControl() override;

  // The SIP stack and media engine are built after call control (they take
  // it as their listener); attach them before start().
  void attach(sip::SipStack* sip, media::MediaEngine* media);
  // The CRM for screen pops (optional; before start()).
  void setCustomerLookup(CustomerLookup* lookup) { customers_ = lookup; }
  void start();
  // Waits up to `drain` for calls to finish, hangs up the rest, then stops.
  void stop(std::chrono::seconds drain);

  // Thread-safe snapshots for the API.
  std::vector<ActiveCall> activeCalls(std::int64_t tenant_id) const;
  size_t activeCount() const { return active_count_.load(); }

  // The ACD (docs/acd.md). Thread-safe: each runs on the call-control thread
  // and returns its result. applyAcd() replaces the queues, members, skills
  // and policies; agents keep their state, calls keep waiting.
  void applyAcd(AcdSetup setup);
  Result<AgentStateView> agentState(std::int64_t tenant_id, const std::string& staff_no);
  std::vector<AgentStateView> agentStates(std::int64_t tenant_id);
  // state: "available" (also ends wrap-up early), "not_ready" with a reason
  // code, "logged_out".
  Result<AgentStateView> setAgentState(std::int64_t tenant_id, const std::string& staff_no,
                                       const std::string& state, const std::string& reason);

  // Puts callbacks asked for before a restart back at their places.
  void restoreCallbacks(std::vector<PendingCallback> callbacks);
  // Takes the queued callback asked for in call `origin_ref` out of its
  // queue. OK when none is waiting (already done or failed); kConflict while
  // an agent is on it.
  Status cancelCallback(std::int64_t tenant_id, const std::string& origin_ref);

  // Call control through the API, on a call an agent has answered. `agent`
  // set: only that agent's own call may be acted on (kPermissionDenied
  // otherwise); empty: any call of the tenant (leads, supervisors).
  struct CallCommand {
    std::string action;  // hold, resume, hangup, pause_recording, resume_recording, transfer,
                         // monitor, stop_monitor, consult, consult_complete, consult_cancel,
                         // priority (a call waiting in a queue; any other needs an agent)
    std::string queue, staff_no, number;  // transfer: exactly one
    // monitor: listen (silent), whisper (only the agent hears the supervisor)
    // or barge (three-way); the supervisor's phone is rung first.
    std::string mode;
    std::string supervisor_staff_no, supervisor_extension;
    int priority = 0;  // priority: the waiting call's new priority (-100..100)
  };
  Status command(std::int64_t tenant_id, const std::string& ref, const CallCommand& command,
                 const std::string& agent);

  // SipListener (SIP thread).
  void onIncomingCall(sip::IncomingCall call) override;
  void onReinvite(sip::LegId leg, std::string sdp) override;
  void onOutgoingAnswer(sip::LegId leg, int status, std::string sdp) override;
  void onTerminated(sip::LegId leg, bool by_remote, int status, std::string cause) override;
  void onReinviteAnswer(sip::LegId leg, int status, std::string sdp) override;

  // MediaListener (media threads).
  void onDtmf(media::SessionId session, char digit) override;
  void onPlayDone(media::SessionId session, std::uint64_t play_id, bool completed) override;
  void onRecordingDone(media::SessionId session, std::uint64_t record_id, Status status,
                       std::uint64_t duration_ms) override;
  void onMediaTimeout(media::SessionId session) override;

  struct Call;
  struct AcdAgent;
  struct AcdQueue;

 private:
  void incoming(sip::IncomingCall in);
  void answerCall(Call& call);
  void reinvite(sip::LegId leg, const std::string& sdp);
  void outgoingAnswer(sip::LegId leg, int status, const std::string& sdp);
  void terminated(sip::LegId leg, bool by_remote, int status, const std::string& cause);
  void digit(media::SessionId session, char digit);
  void playDone(media::SessionId session, std::uint64_t play_id);
  void recordingDone(media::SessionId session, std::uint64_t record_id, bool ok,
                     std::uint64_t duration_ms);

  Call* byLeg(sip::LegId leg);
  Call* byMedia(media::SessionId session);
  void run(Call& call, ivr::Actions actions);
  void rearm(Call& call);
  void play(Call& call, const ivr::Play& play);
  void transfer(Call& call, const ivr::Transfer& transfer);
  void transferFailed(Call& call, const std::string& why);
  // Cancels `leg` of `call` if it is still ringing after transfer_ring_s
  // (call.transfer_timer).
  void hangUpUnanswered(Call& call, sip::LegId leg);
  void hangup(Call& call, const std::string& cause, const std::string& by);
  void finish(Call& call, const std::string& cause, const std::string& by);
  void publish(const Call& call, const std::string& name, std::string data_json);
  void snapshot(const Call& call);
  // Looks the customer up in the CRM; the answer fills call.customer_ids and
  // is published as call.customers.
  void lookupCustomer(Call& call, const std::string& number);
  // Joins the caller and call.agent_media (setting its remote first when given).
  void bridgeTo(Call& call, const media::RemoteMedia* remote);
  template <typename Fn>
  auto onLoop(Fn fn) -> decltype(fn());

  // The ACD (call_queue.cc).
  void enterQueue(Call& call, const std::string& queue_name);
  void leaveQueue(Call& call);
  void dispatch(const std::string& queue_key);
  void dispatchFor(AcdAgent& agent);
  void offer(const acd::Offer& offer, AcdQueue& queue);
  void requeue(Call& call, bool dispatch_now);
  void offerAnswered(Call& call, sip::LegId leg, const Result<media::RemoteMedia>& remote);
  void offerEnded(Call& call, sip::LegId leg, int status);
  void offerTimedOut(const std::string& ref);
  void withdrawOffers(Call& call);
  // One offer that did not reach the agent: a miss or a rejection, logged,
  // and the agent rests before the next offer.
  void offerFailed(Call& call, const OfferLeg& offer, bool hangup, bool rejected,
                   const std::string& why);
  // Rings a phone for `call` (caller ID `display` <sip:user@realm>) on a media
  // session beside the call's; the leg and session are mapped to the call.
  Result<OfferLeg> ringPhone(Call& call, const std::string& contact, const std::string& display,
                             const std::string& user, std::uint64_t sdp_session);
  // Forgets a leg and its media session (hanging the leg up when asked).
  void dropLeg(sip::LegId leg, media::SessionId media, bool hangup);
  // Takes the call out of the router and its queue's waiting set.
  void dequeue(Call& call);
  void stopWaitTimers(Call& call);
  // Members logged in (staffed_only: and not on a break).
  int membersIn(const AcdQueue& queue, bool staffed_only) const;
  void agentLegEnded(Call& call);
  void endAgentCall(Call& call);
  void maxWaitReached(const std::string& ref);
  void overflow(Call& call, AcdQueue& queue);
  void queueFailed(Call& call, AcdQueue* queue, const std::string& why);
  void announce(const std::string& ref);
  void musicOnHold(Call& call);
  // Queued callbacks (queued_callback.cc): the caller pressed the key.
  void queuedCallback(Call& call);
  // A callback waits at the customer's place in the queue.
  void queueCallback(const PendingCallback& pending);
  // The agent took the callback: dial the customer.
  void dialCallback(Call& call);
  void callbackAnswered(Call& call, const Result<media::RemoteMedia>& remote);
  enum class CallbackMiss {
    kNoAnswer,   // counts as an attempt; retried later while attempts remain
    kAgentLeft,  // the agent hung up first: back to its place at once
    kGiveUp,     // no trunk or queue: left for someone to call back by hand
  };
  void callbackNotReached(Call& call, const std::string& why, CallbackMiss miss);
  void requeueCallback(const std::string& ref);
  // Counts a call as in progress or no longer.
  void setLive(Call& call, bool live);
  void queueDigit(Call& call, char digit);
  Status blindTransfer(Call& call, const CallCommand& command);
  // A waiting call's priority changes: it moves to its new place at once.
  Status reprioritize(Call& call, int priority);
  void dropAgent(Call& call, const std::string& why);
  Status startMonitor(Call& call, const CallCommand& command);
  void applyMonitor(Call& call);
  void stopMonitor(Call& call);
  Status startConsult(Call& call, const CallCommand& command, bool by_agent);
  void consultAnswered(Call& call, const Result<media::RemoteMedia>& remote);
  // The consulted phone is gone or sent away: `status` its SIP status (0 when
  // Ting ended it), `hangup` whether Ting must still hang it up.
  void endConsult(Call& call, int status, bool hangup);
  void completeConsult(Call& call);
  // `from_phone`: the agent's phone asked (re-INVITE); otherwise Ting tells
  // the phone with a re-INVITE of its own.
  void hold(Call& call, bool on, bool by_agent, bool from_phone = false);
  // Sets the agent leg from a phone that answered (its SDP origin with it).
  void takeAgentLeg(Call& call, const OfferLeg& leg);
  // The agent `staff_no` when available to take `call` (transfer, consult).
  Result<AcdAgent*> availableTarget(const Call& call, const std::string& staff_no);
  void queuePlayDone(Call& call, std::uint64_t play_id);
  void playText(Call& call, std::uint64_t play_id, std::string text);
  void agentChanged(AcdAgent& agent, Result<acd::AgentTransition> transition,
                    bool cooldown = false);
  void leaveEmptyQueues(AcdAgent& agent);
  void queueEvent(const Call& call, const AcdQueue& queue, std::string event,
                  std::string staff_no = "", int position = 0, std::string detail = "");
  AgentStateView viewOf(const AcdAgent& agent) const;
  AcdAgent* agentByStaff(std::int64_t tenant_id, const std::string& staff_no);
  AcdQueue* queueByName(std::int64_t tenant_id, const std::string& name);
  std::int64_t waitedMs(const Call& call) const;

  CallControlConfig config_;
  sip::SipDirectory& directory_;
  FlowRegistry& flows_;
  PromptSource& prompts_;
  CallRecords& records_;
  EventBus& bus_;
  const Clock& clock_;
  sip::SipStack* sip_ = nullptr;
  media::MediaEngine* media_ = nullptr;
  CustomerLookup* customers_ = nullptr;
  EventLoop loop_;
  HttpFetcher http_;  // IVR lookups; destroyed before the loop it posts to

  // Loop thread only.
  std::unordered_map<std::string, std::unique_ptr<Call>> calls_;
  std::unordered_map<sip::LegId, std::string> by_leg_;
  std::unordered_map<media::SessionId, std::string> by_media_;
  std::map<std::int64_t, int> per_tenant_;

  // The ACD, loop thread only. Queue keys are "<tenant id>/<name>"; agent ids
  // are user ids.
  acd::Router router_;
  std::map<std::int64_t, acd::AgentPolicy> policies_;  // by tenant; stable addresses
  std::unordered_map<std::int64_t, std::unique_ptr<AcdAgent>> agents_;
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> agent_by_staff_;
  std::unordered_map<std::string, std::unique_ptr<AcdQueue>> queues_;
  std::unordered_map<acd::CallId, std::string> acd_calls_;  // router id → call ref
  acd::CallId next_acd_id_ = 1;
  bool stopping_ = false;  // no new offers while shutting down
  struct Abandoned {
    std::string queue;
    UnixMillis queued_at = 0;
    UnixMillis until = 0;
  };
  std::map<std::pair<std::int64_t, std::string>, Abandoned> abandoned_;  // (tenant, number)

  std::atomic<size_t> active_count_{0};
  mutable std::mutex snapshot_mu_;
  std::map<std::string, ActiveCall> snapshots_;  // guarded by snapshot_mu_

  Counter* calls_started_ = nullptr;
  Counter* calls_rejected_ = nullptr;
  Histogram* offer_latency_ = nullptr;  // ACD: free agent and waiting call → phone invited
};

}  // namespace ting::calls
