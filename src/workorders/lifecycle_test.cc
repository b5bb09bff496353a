#include "workorders/lifecycle.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace ting::workorders {
namespace {

using identity::Role;

// The lifecycle of the issue, written out independently of the table: every
// (state, action) pair not listed here must be refused.
const std::map<std::pair<State, Action>, State>& expectedMoves() {
  static const auto* kMoves = [] {
    auto* m = new std::map<std::pair<State, Action>, State>;
    auto add = [m](State from, Action a, State to) { (*m)[{from, a}] = to; };
    using S = State;
    using A = Action;
    add(S::kNew, A::kAccept, S::kAccepted);
    add(S::kNew, A::kResolveOnSpot, S::kResolved);
    add(S::kAccepted, A::kResolveOnSpot, S::kResolved);
    add(S::kAccepted, A::kInvestigate, S::kInvestigating);
    add(S::kInvestigating, A::kPropose, S::kProposing);
    add(S::kProposing, A::kPropose, S::kProposing);
    add(S::kProposing, A::kCustomerAccept, S::kProposing);
    add(S::kProposing, A::kCustomerReject, S::kProposing);
    for (S s : {S::kInvestigating, S::kProposing, S::kDispatched}) {
      add(s, A::kDispatch, S::kDispatched);
      add(s, A::kResolve, S::kResolved);
    }
    add(S::kDispatched, A::kDepartmentReply, S::kDispatched);
    add(S::kDispatched, A::kReturn, S::kInvestigating);
    add(S::kResolved, A::kStartFollowUp, S::kFollowUp);
    add(S::kFollowUp, A::kFollowUpResult, S::kClosed);
    add(S::kResolved, A::kClose, S::kClosed);
    for (S s : {S::kAccepted, S::kInvestigating, S::kProposing, S::kDispatched, S::kResolved,
                S::kFollowUp}) {
      add(s, A::kCloseUnresolved, S::kClosed);
    }
    for (S s : {S::kNew, S::kAccepted, S::kInvestigating, S::kProposing, S::kDispatched,
                S::kResolved, S::kFollowUp}) {
      add(s, A::kCloseDuplicate, S::kClosed);
    }
    add(S::kClosed, A::kReopen, S::kInvestigating);
    return m;
  }();
  return *kMoves;
}

TEST(Lifecycle, EveryStateAndActionAsTheIssueDescribes) {
  int allowed = 0;
  for (const auto& rule : transitionTable()) {
    for (State from : allStates()) {
      auto next = nextState(from, rule.action, Role::kAgent);
      auto it = expectedMoves().find({from, rule.action});
      if (it == expectedMoves().end()) {
        ASSERT_FALSE(next.isOk()) << actionName(rule.action) << " from " << stateName(from);
        EXPECT_EQ(next.status().code(), StatusCode::kConflict);
        EXPECT_EQ(next.status().reason(), "invalid_transition");
      } else {
        ASSERT_TRUE(next.isOk()) << actionName(rule.action) << " from " << stateName(from);
        EXPECT_EQ(*next, it->second) << actionName(rule.action) << " from " << stateName(from);
        ++allowed;
      }
    }
  }
  EXPECT_EQ(allowed, static_cast<int>(expectedMoves().size()));
}

TEST(Lifecycle, NamesRoundTripAndEveryActionHasOneRule) {
  std::set<Action> seen;
  for (const auto& rule : transitionTable()) {
    EXPECT_TRUE(seen.insert(rule.action).second) << actionName(rule.action);
    EXPECT_EQ(parseAction(actionName(rule.action)), rule.action);
    EXPECT_FALSE(rule.meaning.empty());
  }
  EXPECT_EQ(seen.size(), 16u);
  for (State s : allStates()) EXPECT_EQ(parseState(stateName(s)), s);
  EXPECT_FALSE(parseState("open"));
  EXPECT_FALSE(parseAction("Accept"));
}

TEST(Lifecycle, DepartmentStaffOnlyAnswerWhatIsDispatched) {
  EXPECT_EQ(*nextState(State::kDispatched, Action::kDepartmentReply, Role::kDepartment),
            State::kDispatched);
  EXPECT_EQ(*nextState(State::kDispatched, Action::kReturn, Role::kDepartment),
            State::kInvestigating);
  auto r = nextState(State::kDispatched, Action::kResolve, Role::kDepartment);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  auto q = nextState(State::kNew, Action::kAccept, Role::kQaInspector);
  ASSERT_FALSE(q.isOk());
  EXPECT_EQ(q.status().code(), StatusCode::kPermissionDenied);
}

TEST(Lifecycle, RequiredFieldsAreDeclared) {
  EXPECT_EQ(ruleFor(Action::kAccept).required, std::vector<std::string_view>{"promised_reply_at"});
  EXPECT_EQ(ruleFor(Action::kCloseDuplicate).required,
            std::vector<std::string_view>{"duplicate_of"});
  EXPECT_TRUE(ruleFor(Action::kInvestigate).required.empty());
}

}  // namespace
}  // namespace ting::workorders
