#pragma once
// One agent's state machine: logged out, available, ringing, on a call,
// after-call work (wrap-up) and not ready.
//
//   logged_out ──login──▶ available ──offer──▶ ringing ──answer──▶ on_call
//       ▲                  ▲  │  ▲                │ reject / miss      │ callEnded
//       │ logout           │  │  └────────────────┘                    ▼
//       │                  │  └─setNotReady─▶ not_ready         wrap_up ──(expiry or
//       └──────────────────┴──setAvailable───┘    ▲                 endWrapUp)──▶ available
//                                                 └── N consecutive missed offers
//
// Pure logic, owned by the call-control thread; no locks. Time comes in as
// `now`; while deadline() is set (wrap-up), call control calls onTimer(now)
// once now >= deadline(). Every change is returned as an AgentTransition so
// that utilization reports can be computed from the sequence; an illegal
// request returns an error Status naming both states and changes nothing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace ting::acd {

// Call control maps its agents (staff numbers) and calls to these ids.
using AgentId = std::uint64_t;
using CallId = std::uint64_t;

enum class AgentState { kLoggedOut, kAvailable, kRinging, kOnCall, kWrapUp, kNotReady };

// "logged_out", "available", "ringing", "on_call", "wrap_up", "not_ready".
const char* agentStateName(AgentState state);

// The reason the state machine itself puts on a forced not_ready.
inline constexpr std::string_view kMissedOffersReason = "missed_offers";

struct AgentTransition {
  AgentId agent = 0;
  AgentState from = AgentState::kLoggedOut;
  AgentState to = AgentState::kLoggedOut;
  // Why: the not_ready reason code, or what happened ("login", "offer",
  // "answer", "rejected", "missed", "withdrawn", "call_ended", "wrap_up_expired",
  // "wrap_up_ended", "ready", "logout").
  std::string reason;
  UnixMillis at = 0;
};

// Tenant settings shared by the agents of a tenant; must outlive them.
struct AgentPolicy {
  // The not_ready reason codes agents may pick (break, meal, training, ...).
  std::vector<std::string> not_ready_reasons = {"break", "meal", "training", "meeting"};
  // Consecutive missed (unanswered) offers that force not_ready; 0 = never.
  int max_missed_offers = 3;
};

// What the router sorts on; updated by the state machine.
struct AgentStats {
  UnixMillis idle_since = 0;  // when the agent last became available after work or a break
  std::int64_t calls_handled = 0;
  std::int64_t talk_ms = 0;  // total answered talk time
};

class AgentStateMachine {
 public:
  // `policy` is borrowed and must outlive the machine.
  AgentStateMachine(AgentId id, const AgentPolicy& policy) : id_(id), policy_(&policy) {}

  // logged_out → available.
  Result<AgentTransition> login(UnixMillis now);
  // available, not_ready or wrap_up → logged_out (reason "logout", or
  // "shutdown" when the server stops).
  Result<AgentTransition> logout(UnixMillis now, std::string_view reason = "logout");
  // available or wrap_up → not_ready with one of the policy's reason codes.
  Result<AgentTransition> setNotReady(std::string_view reason, UnixMillis now);
  // not_ready → available.
  Result<AgentTransition> setAvailable(UnixMillis now);

  // available → ringing: `call` is offered to this agent.
  Result<AgentTransition> offer(CallId call, UnixMillis now);
  // ringing → on_call; resets the missed-offer count.
  Result<AgentTransition> answer(UnixMillis now);
  // ringing → available: the agent declined. Not a missed offer: neither
  // counted nor resetting the count. idle_since is kept.
  Result<AgentTransition> reject(UnixMillis now);
  // ringing → available (idle_since kept), or → not_ready "missed_offers"
  // when this is the policy's max_missed_offers-th consecutive miss.
  Result<AgentTransition> missed(UnixMillis now);
  // ringing → available: the offer was withdrawn before the agent could
  // answer (the caller hung up, or another agent of a ring group answered).
  // Neither missed nor rejected; idle_since is kept.
  Result<AgentTransition> withdraw(UnixMillis now);
  // on_call → wrap_up for `wrap_up_ms` (→ available at once when <= 0).
  // Counts the call and its talk time.
  Result<AgentTransition> callEnded(std::int64_t wrap_up_ms, UnixMillis now);
  // wrap_up → available before the wrap-up time is over.
  Result<AgentTransition> endWrapUp(UnixMillis now);

  // Call when now >= deadline(): ends an expired wrap-up. Earlier calls, or
  // calls with nothing due, return nullopt.
  std::optional<AgentTransition> onTimer(UnixMillis now);
  // When onTimer() is due: the end of wrap-up, if in wrap-up.
  std::optional<UnixMillis> deadline() const { return deadline_; }

  AgentId id() const { return id_; }
  AgentState state() const { return state_; }
  // The not_ready reason code while not ready, else "".
  const std::string& notReadyReason() const { return not_ready_reason_; }
  // The call ringing or being talked on, if any.
  std::optional<CallId> currentCall() const { return call_; }
  int consecutiveMissed() const { return missed_; }
  const AgentStats& stats() const { return stats_; }

 private:
  Result<AgentTransition> move(AgentState to, std::string reason, UnixMillis now);
  Status illegal(AgentState to) const;

  AgentId id_;
  const AgentPolicy* policy_;
  AgentState state_ = AgentState::kLoggedOut;
  std::string not_ready_reason_;
  std::optional<CallId> call_;
  std::optional<UnixMillis> deadline_;
  UnixMillis answered_at_ = 0;
  int missed_ = 0;
  AgentStats stats_;
};

}  // namespace ting::acd
