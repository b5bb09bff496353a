#pragma once
// The work-order lifecycle as data: states, the actions that move between
// them, who may take each action and what it must say. docs/workorders.md
// prints this table; the store (work_orders.h) applies it. The meaning of a
// state is fixed here; tenants only rename states for display.

#include <optional>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "identity/role.h"

namespace ting::workorders {

enum class State {
  kNew,            // recorded, not yet acknowledged
  kAccepted,       // acknowledged to the customer, reply time promised
  kInvestigating,  // clarifying the facts
  kProposing,      // solutions offered and negotiated with the customer
  kDispatched,     // handed to a department with its own deadline
  kResolved,       // the outcome told to the customer
  kFollowUp,       // a callback asks whether the customer is satisfied
  kClosed,         // finished: resolved, unresolved or duplicate (close_reason)
};

enum class Action {
  kAccept,           // new → accepted; promised_reply_at
  kInvestigate,      // accepted → investigating
  kPropose,          // investigating, proposing → proposing; a solution offered
  kCustomerAccept,   // proposing: the customer accepts the open proposal
  kCustomerReject,   // proposing: the customer rejects it, with a reason
  kDispatch,         // investigating, proposing, dispatched → dispatched; department
  kDepartmentReply,  // dispatched: the department's answer
  kReturn,           // dispatched → investigating: the department sends it back
  kResolve,          // investigating, proposing, dispatched → resolved; resolution
  kResolveOnSpot,    // new, accepted → resolved in the same call; resolution
  kStartFollowUp,    // resolved → follow_up; a callback task is created
  kFollowUpResult,   // follow_up → closed (resolved); result, satisfaction
  kClose,            // resolved → closed (resolved), types without follow-up
  kCloseUnresolved,  // any open state after new → closed (unresolved); reason
  kCloseDuplicate,   // any open state → closed (duplicate); duplicate_of
  kReopen,           // closed (not duplicate) → investigating within the window
};

std::string_view stateName(State s);
std::optional<State> parseState(std::string_view s);
std::string_view actionName(Action a);
std::optional<Action> parseAction(std::string_view s);
const std::vector<State>& allStates();

// Open: every state but closed.
inline bool isOpen(State s) {
  return s != State::kClosed;
}

struct TransitionRule {
  Action action;
  std::vector<State> from;
  std::optional<State> to;                 // nullopt: the state does not change
  identity::RoleSet roles;                 // who may take the action
  std::vector<std::string_view> required;  // fields the request must carry
  std::string_view meaning;
};

// Every rule, in lifecycle order.
const std::vector<TransitionRule>& transitionTable();
const TransitionRule& ruleFor(Action a);

// The state after `action` from `from` (the same state for actions that do
// not move); kConflict with reason invalid_transition when the action is not
// allowed from `from`, kPermissionDenied when `role` may not take it.
Result<State> nextState(State from, Action action, identity::Role role);

}  // namespace ting::workorders
