#include "acd/agent_state.h"

#include <algorithm>
#include <utility>

namespace ting::acd {

const char* agentStateName(AgentState state) {
  switch (state) {
    case AgentState::kLoggedOut:
      return "logged_out";
    case AgentState::kAvailable:
      return "available";
    case AgentState::kRinging:
      return "ringing";
    case AgentState::kOnCall:
      return "on_call";
    case AgentState::kWrapUp:
      return "wrap_up";
    case AgentState::kNotReady:
      return "not_ready";
  }
  return "unknown";
}

Status AgentStateMachine::illegal(AgentState to) const {
  return Status(StatusCode::kConflict, std::string("agent cannot go from ") +
                                           agentStateName(state_) + " to " + agentStateName(to))
      .withReason("illegal_transition");
}

Result<AgentTransition> AgentStateMachine::move(AgentState to, std::string reason, UnixMillis now) {
  AgentTransition t{id_, state_, to, std::move(reason), now};
  state_ = to;
  if (to != AgentState::kWrapUp) deadline_.reset();
  if (to != AgentState::kRinging && to != AgentState::kOnCall) call_.reset();
  if (to != AgentState::kNotReady) not_ready_reason_.clear();
  return t;
}

Result<AgentTransition> AgentStateMachine::login(UnixMillis now) {
  if (state_ != AgentState::kLoggedOut) return illegal(AgentState::kAvailable);
  missed_ = 0;
  stats_.idle_since = now;
  return move(AgentState::kAvailable, "login", now);
}

Result<AgentTransition> AgentStateMachine::logout(UnixMillis now, std::string_view reason) {
  if (state_ != AgentState::kAvailable && state_ != AgentState::kNotReady &&
      state_ != AgentState::kWrapUp) {
    return illegal(AgentState::kLoggedOut);
  }
  return move(AgentState::kLoggedOut, std::string(reason), now);
}

Result<AgentTransition> AgentStateMachine::setNotReady(std::string_view reason, UnixMillis now) {
  if (state_ != AgentState::kAvailable && state_ != AgentState::kWrapUp &&
      state_ != AgentState::kNotReady) {
    return illegal(AgentState::kNotReady);
  }
  const auto& allowed = policy_->not_ready_reasons;
  if (std::find(allowed.begin(), allowed.end(), reason) == allowed.end()) {
    return invalidValue("unknown not_ready reason: " + std::string(reason), "reason")
        .withReason("unknown_reason");
  }
  auto t = move(AgentState::kNotReady, std::string(reason), now);
  not_ready_reason_ = std::string(reason);
  return t;
}

Result<AgentTransition> AgentStateMachine::setAvailable(UnixMillis now) {
  if (state_ != AgentState::kNotReady) return illegal(AgentState::kAvailable);
  missed_ = 0;
  stats_.idle_since = now;
  return move(AgentState::kAvailable, "ready", now);
}

Result<AgentTransition> AgentStateMachine::offer(CallId call, UnixMillis now) {
  if (state_ != AgentState::kAvailable) return illegal(AgentState::kRinging);
  auto t = move(AgentState::kRinging, "offer", now);
  call_ = call;
  return t;
}

Result<AgentTransition> AgentStateMachine::answer(UnixMillis now) {
  if (state_ != AgentState::kRinging) return illegal(AgentState::kOnCall);
  missed_ = 0;
  answered_at_ = now;
  CallId call = *call_;
  auto t = move(AgentState::kOnCall, "answer", now);
  call_ = call;
  return t;
}

Result<AgentTransition> AgentStateMachine::reject(UnixMillis now) {
  if (state_ != AgentState::kRinging) return illegal(AgentState::kAvailable);
  return move(AgentState::kAvailable, "rejected", now);
}

Result<AgentTransition> AgentStateMachine::withdraw(UnixMillis now) {
  if (state_ != AgentState::kRinging) return illegal(AgentState::kAvailable);
  return move(AgentState::kAvailable, "withdrawn", now);
}

Result<AgentTransition> AgentStateMachine::missed(UnixMillis now) {
  if (state_ != AgentState::kRinging) return illegal(AgentState::kAvailable);
  ++missed_;
  if (policy_->max_missed_offers > 0 && missed_ >= policy_->max_missed_offers) {
    missed_ = 0;
    auto t = move(AgentState::kNotReady, std::string(kMissedOffersReason), now);
    not_ready_reason_ = std::string(kMissedOffersReason);
    return t;
  }
  return move(AgentState::kAvailable, "missed", now);
}

Result<AgentTransition> AgentStateMachine::callEnded(std::int64_t wrap_up_ms, UnixMillis now) {
  if (state_ != AgentState::kOnCall) return illegal(AgentState::kWrapUp);
  ++stats_.calls_handled;
  stats_.talk_ms += std::max<std::int64_t>(0, now - answered_at_);
  if (wrap_up_ms <= 0) {
    stats_.idle_since = now;
    return move(AgentState::kAvailable, "call_ended", now);
  }
  auto t = move(AgentState::kWrapUp, "call_ended", now);
  deadline_ = now + wrap_up_ms;
  return t;
}

Result<AgentTransition> AgentStateMachine::endWrapUp(UnixMillis now) {
  if (state_ != AgentState::kWrapUp) return illegal(AgentState::kAvailable);
  stats_.idle_since = now;
  return move(AgentState::kAvailable, "wrap_up_ended", now);
}

std::optional<AgentTransition> AgentStateMachine::onTimer(UnixMillis now) {
  if (state_ != AgentState::kWrapUp || !deadline_ || now < *deadline_) return std::nullopt;
  // The agent became idle when wrap-up was due, not when the timer fired late.
  stats_.idle_since = *deadline_;
  return move(AgentState::kAvailable, "wrap_up_expired", now).value();
}

}  // namespace ting::acd
