#pragma once
// The routing core of the ACD: queues, their members, waiting calls, and the
// decision which call to offer to which agent(s) now.
//
// Pure logic, owned by the call-control thread; no locks, no clock of its
// own: time comes in as `now`. The router does not track agent states; call
// control feeds it from the AgentStateMachine: agentBecameAvailable() with
// the agent's stats whenever an agent enters `available`, and
// agentBecameUnavailable() when it leaves it for anything but an offer made
// by next() (next() already takes the agents it offers).
//
// Choosing:
//  - Calls wait in priority order: higher priority first, then earlier
//    arrival, then enqueue order.
//  - Members have a tier (a penalty: lower goes first). An agent in tier N is
//    chosen only when no member of a lower tier is available.
//  - Within the tier the queue's strategy orders the available agents:
//      longest_idle     earliest idle_since first (the default);
//      round_robin      next member after the one last offered, by member
//                       order (the order of addMember), wrapping around;
//      fewest_calls     fewest calls handled, then longest idle;
//      least_talk_time  least total talk time, then longest idle;
//      ring_all         every available agent of the tier, longest idle first,
//                       at most kRingAllLimit;
//      linear           first available member in member order;
//      random           uniformly at random (seeded by the constructor);
//      skills_based     see below.
//  - Skills are only used by skills_based queues. There a call's required
//    skills must be met by the agent at the call's current minimum level.
//    The level widens as the caller waits (a "bullseye"): each requirement
//    has steps (after_seconds, min_level) and the last step reached applies.
//    Among qualified agents the one with the highest proficiency in the
//    call's first required skill goes first, then the longest idle. Calls
//    with the same requirements form a group; next() looks at the head of
//    each group in priority order and offers the first that finds an agent,
//    so a call nobody can take yet does not block the calls behind it.
//
// Complexity (A available agents in the queue, C waiting calls, T tiers,
// G call groups of the queue, Q_a queues of an agent, S_a skills of an agent):
//  - next(), all strategies but skills_based: O(T + log A), no scan of agents
//    or calls; ring_all adds O(k) for the k agents returned.
//  - next(), skills_based: O(G log G + G·T·5·log A) when calls require one
//    skill; with several required skills, agents of the first skill's
//    qualifying levels are walked until one also meets the others.
//  - agentBecameAvailable/Unavailable: O(Q_a·log A), skills_based
//    O(Q_a·S_a·log A).
//  - enqueue, cancel, changePriority: O(log C) (plus the requirements' size).
//  - nextWidening(): O(G·R) for R requirement steps.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "acd/agent_state.h"
#include "common/clock.h"
#include "common/status.h"

namespace ting::acd {

using QueueId = std::string;
using SkillId = std::string;

enum class Strategy {
  kLongestIdle,
  kRoundRobin,
  kFewestCalls,
  kLeastTalkTime,
  kRingAll,
  kLinear,
  kRandom,
  kSkillsBased,
};

// "longest_idle", "round_robin", ... as in the header comment.
const char* strategyName(Strategy strategy);
std::optional<Strategy> parseStrategy(std::string_view name);

// ring_all rings at most this many agents at once (the longest idle of the
// tier): more phones ringing for one caller only multiplies the work of
// cancelling them.
inline constexpr std::size_t kRingAllLimit = 10;

inline constexpr int kMinSkillLevel = 1;
inline constexpr int kMaxSkillLevel = 5;

// From `after_seconds` of waiting on, agents need at least `min_level`.
struct LevelStep {
  std::int64_t after_seconds = 0;
  int min_level = kMaxSkillLevel;
};

// Steps in ascending after_seconds; before the first step its level applies.
struct SkillRequirement {
  SkillId skill;
  std::vector<LevelStep> steps;
};

struct WaitingCall {
  CallId id = 0;
  int priority = 0;  // higher first
  UnixMillis arrived = 0;
  std::vector<SkillRequirement> skills;  // used by skills_based queues
};

struct Offer {
  CallId call = 0;
  // One agent, or every available agent of the tier for ring_all.
  std::vector<AgentId> agents;
  int tier = 0;
};

class Router {
 public:
  explicit Router(std::uint64_t random_seed = 1);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // kConflict when the queue exists.
  Status addQueue(const QueueId& queue, Strategy strategy = Strategy::kLongestIdle);
  // kConflict while calls wait in it.
  Status removeQueue(const QueueId& queue);

  Status addAgent(AgentId agent);
  // Also ends the agent's memberships.
  Status removeAgent(AgentId agent);
  // level 1-5; 0 removes the skill.
  Status setAgentSkill(AgentId agent, const SkillId& skill, int level);

  // Member order (round_robin, linear) is the order of addMember calls.
  Status addMember(const QueueId& queue, AgentId agent, int tier = 0);
  Status removeMember(const QueueId& queue, AgentId agent);

  // The agent may be offered calls; `stats` gives the strategies' sort keys.
  // Called again while available, it updates the stats.
  Status agentBecameAvailable(AgentId agent, const AgentStats& stats);
  Status agentBecameUnavailable(AgentId agent);
  bool isAvailable(AgentId agent) const;

  // Requirements are checked: levels 1-5, steps ascending. A call offered by
  // next() and not answered is enqueued again with its original arrival.
  Status enqueue(const QueueId& queue, WaitingCall call);
  // The caller hung up (or the call left the queue another way).
  Status cancel(CallId call);
  Status changePriority(CallId call, int priority);
  std::size_t waitingCount(const QueueId& queue) const;
  // The call's place in its queue, 1 for the next to be served (calls ahead
  // of it across all requirement groups, plus one); nullopt when it is not
  // queued. O(C) in the queue's waiting calls: for announcements, not for
  // routing.
  std::optional<std::size_t> position(CallId call) const;

  // The call to offer now in `queue` and to whom, or nullopt when no waiting
  // call has an eligible agent. The call leaves the queue and the agents
  // become unavailable (in every queue) until told otherwise.
  std::optional<Offer> next(const QueueId& queue, UnixMillis now);

  // When a waiting call's requirements next widen in a skills_based queue
  // (call next() again then), or nullopt.
  std::optional<UnixMillis> nextWidening(const QueueId& queue, UnixMillis now) const;

 private:
  struct Queue;
  struct Agent;
  struct CallGroup;
  struct CallRecord;
  struct Tier;

  int skillIndex(const SkillId& skill);
  void index(Agent& agent, AgentId id);
  void unindex(Agent& agent, AgentId id);
  void indexIn(Queue& queue, const Agent& agent, AgentId id, bool insert);
  void take(AgentId id);
  void removeCall(CallId id);

  std::unordered_map<QueueId, std::unique_ptr<Queue>> queues_;
  std::unordered_map<AgentId, std::unique_ptr<Agent>> agents_;
  std::unordered_map<CallId, std::unique_ptr<CallRecord>> calls_;
  std::unordered_map<SkillId, int> skills_;
  std::uint64_t next_seq_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace ting::acd
