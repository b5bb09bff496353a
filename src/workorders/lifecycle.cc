#include "workorders/lifecycle.h"

#include <algorithm>
#include <array>
#include <string>

namespace ting::workorders {

using identity::Role;

namespace {

constexpr std::array<std::pair<State, std::string_view>, 8> kStateNames = {{
    {State::kNew, "new"},
    {State::kAccepted, "accepted"},
    {State::kInvestigating, "investigating"},
    {State::kProposing, "proposing"},
    {State::kDispatched, "dispatched"},
    {State::kResolved, "resolved"},
    {State::kFollowUp, "follow_up"},
    {State::kClosed, "closed"},
}};

constexpr std::array<std::pair<Action, std::string_view>, 16> kActionNames = {{
    {Action::kAccept, "accept"},
    {Action::kInvestigate, "investigate"},
    {Action::kPropose, "propose"},
    {Action::kCustomerAccept, "customer_accept"},
    {Action::kCustomerReject, "customer_reject"},
    {Action::kDispatch, "dispatch"},
    {Action::kDepartmentReply, "department_reply"},
    {Action::kReturn, "return"},
    {Action::kResolve, "resolve"},
    {Action::kResolveOnSpot, "resolve_on_spot"},
    {Action::kStartFollowUp, "start_follow_up"},
    {Action::kFollowUpResult, "follow_up_result"},
    {Action::kClose, "close"},
    {Action::kCloseUnresolved, "close_unresolved"},
    {Action::kCloseDuplicate, "close_duplicate"},
    {Action::kReopen, "reopen"},
}};

// Front-line roles handle a work order from start to end; department staff
// only answer what is dispatched to them.
constexpr identity::RoleSet kHandlers{Role::kAgent, Role::kTeamLead, Role::kSupervisor,
                                      Role::kAdmin};
constexpr identity::RoleSet kDepartmentSide{Role::kDepartment, Role::kAgent, Role::kTeamLead,
                                            Role::kSupervisor, Role::kAdmin};

using S = State;

std::vector<TransitionRule> buildTable() {
  const std::vector<State> open_after_new = {S::kAccepted,   S::kInvestigating, S::kProposing,
                                             S::kDispatched, S::kResolved,      S::kFollowUp};
  std::vector<State> all_open = open_after_new;
  all_open.insert(all_open.begin(), S::kNew);
  return {
      {Action::kAccept,
       {S::kNew},
       S::kAccepted,
       kHandlers,
       {"promised_reply_at"},
       "Acknowledge the complaint and promise when the customer hears back."},
      {Action::kResolveOnSpot,
       {S::kNew, S::kAccepted},
       S::kResolved,
       kHandlers,
       {"resolution"},
       "Settled during the call itself."},
      {Action::kInvestigate,
       {S::kAccepted},
       S::kInvestigating,
       kHandlers,
       {},
       "Start clarifying the facts."},
      {Action::kPropose,
       {S::kInvestigating, S::kProposing},
       S::kProposing,
       kHandlers,
       {"solution"},
       "Offer a solution (remedy, compensation); above the role's limit it waits for approval."},
      {Action::kCustomerAccept,
       {S::kProposing},
       std::nullopt,
       kHandlers,
       {},
       "The customer accepts the open proposal."},
      {Action::kCustomerReject,
       {S::kProposing},
       std::nullopt,
       kHandlers,
       {"reason"},
       "The customer rejects the open proposal, saying why."},
      {Action::kDispatch,
       {S::kInvestigating, S::kProposing, S::kDispatched},
       S::kDispatched,
       kHandlers,
       {"department"},
       "Hand the matter to a department, with its own deadline (a clock); a change of "
       "department counts as a transfer, and going straight from one department to another "
       "as handled again."},
      {Action::kDepartmentReply,
       {S::kDispatched},
       std::nullopt,
       kDepartmentSide,
       {"reply"},
       "The department answers."},
      {Action::kReturn,
       {S::kDispatched},
       S::kInvestigating,
       kDepartmentSide,
       {"reason"},
       "The department sends the work order back; it counts as handled again."},
      {Action::kResolve,
       {S::kInvestigating, S::kProposing, S::kDispatched},
       S::kResolved,
       kHandlers,
       {"resolution"},
       "Tell the customer the outcome."},
      {Action::kStartFollowUp,
       {S::kResolved},
       S::kFollowUp,
       kHandlers,
       {},
       "Schedule the follow-up callback."},
      {Action::kFollowUpResult,
       {S::kFollowUp},
       S::kClosed,
       kHandlers,
       {"result"},
       "Report the follow-up: reached or not, satisfaction 1-5 and comment; closes as resolved "
       "(not reached: stays in follow-up until the tenant's follow_up_attempts have missed)."},
      {Action::kClose,
       {S::kResolved},
       S::kClosed,
       kHandlers,
       {},
       "Close without follow-up (types the tenant does not follow up)."},
      {Action::kCloseUnresolved,
       open_after_new,
       S::kClosed,
       kHandlers,
       {"reason"},
       "The customer rejects the final decision: closed as unresolved, with the reason and the "
       "external routes left to the customer."},
      {Action::kCloseDuplicate,
       all_open,
       S::kClosed,
       kHandlers,
       {"duplicate_of"},
       "The same matter as another work order, which it links to."},
      {Action::kReopen,
       {S::kClosed},
       S::kInvestigating,
       kHandlers,
       {"reason"},
       "Reopen within the tenant's window (not a duplicate); it counts as handled again."},
  };
}

}  // namespace

std::string_view stateName(State s) {
  for (const auto& [v, n] : kStateNames) {
    if (v == s) return n;
  }
  return "?";
}

std::optional<State> parseState(std::string_view s) {
  for (const auto& [v, n] : kStateNames) {
    if (n == s) return v;
  }
  return std::nullopt;
}

std::string_view actionName(Action a) {
  for (const auto& [v, n] : kActionNames) {
    if (v == a) return n;
  }
  return "?";
}

std::optional<Action> parseAction(std::string_view s) {
  for (const auto& [v, n] : kActionNames) {
    if (n == s) return v;
  }
  return std::nullopt;
}

const std::vector<State>& allStates() {
  static const std::vector<State> kAll = [] {
    std::vector<State> v;
    for (const auto& [s, n] : kStateNames) v.push_back(s);
    return v;
  }();
  return kAll;
}

const std::vector<TransitionRule>& transitionTable() {
  static const std::vector<TransitionRule> kTable = buildTable();
  return kTable;
}

const TransitionRule& ruleFor(Action a) {
  for (const auto& r : transitionTable()) {
    if (r.action == a) return r;
  }
  return transitionTable().front();  // unreachable: every action has a rule
}

Result<State> nextState(State from, Action action, Role role) {
  const TransitionRule& rule = ruleFor(action);
  if (!rule.roles.contains(role)) {
    return Status(StatusCode::kPermissionDenied, "role " + std::string(identity::roleName(role)) +
                                                     " may not " + std::string(actionName(action)) +
                                                     " a work order");
  }
  if (std::find(rule.from.begin(), rule.from.end(), from) == rule.from.end()) {
    return conflict("cannot " + std::string(actionName(action)) + " a work order that is " +
                        std::string(stateName(from)),
                    "action")
        .withReason("invalid_transition");
  }
  return rule.to.value_or(from);
}

}  // namespace ting::workorders
