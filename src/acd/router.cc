#include "acd/router.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <utility>

namespace ting::acd {

namespace {

// An available agent's place in a tier: ordered by (a, b, id).
struct AgentKey {
  std::int64_t a = 0;
  std::int64_t b = 0;
  AgentId id = 0;
  auto operator<=>(const AgentKey&) const = default;
};

// A waiting call's place: higher priority, then earlier arrival, then order.
struct CallKey {
  std::int64_t neg_priority = 0;
  UnixMillis arrived = 0;
  std::uint64_t seq = 0;
  CallId id = 0;
  auto operator<=>(const CallKey&) const = default;
};

struct Requirement {
  int skill = 0;
  std::vector<LevelStep> steps;
};

int levelAfter(const Requirement& r, std::int64_t waited_ms) {
  int level = r.steps.empty() ? kMinSkillLevel : r.steps.front().min_level;
  for (const auto& s : r.steps) {
    if (s.after_seconds * 1000 > waited_ms) break;
    level = s.min_level;
  }
  return level;
}

}  // namespace

struct Router::Tier {
  std::set<AgentKey> ordered;  // every strategy but random
  std::vector<AgentId> pool;   // random
  std::unordered_map<AgentId, std::size_t> pool_pos;
  // skills_based: skill → level → available agents by idle time.
  std::unordered_map<int, std::array<std::set<AgentKey>, kMaxSkillLevel + 1>> by_skill;
  std::int64_t rr_last = -1;  // round_robin: position of the member last offered
  std::size_t available = 0;
};

struct Router::CallGroup {
  std::string profile;
  std::vector<Requirement> requirements;
  std::set<CallKey> calls;
};

struct Router::Queue {
  Strategy strategy = Strategy::kLongestIdle;
  struct Member {
    int tier = 0;
    std::int64_t position = 0;
  };
  std::unordered_map<AgentId, Member> members;
  std::map<int, Tier> tiers;
  std::unordered_map<std::string, CallGroup> groups;
  std::int64_t next_position = 0;
  std::size_t waiting = 0;
};

struct Router::Agent {
  bool available = false;
  AgentStats stats;
  std::unordered_map<int, int> skills;  // skill index → level
  std::vector<Queue*> queues;
};

struct Router::CallRecord {
  Queue* queue = nullptr;
  CallGroup* group = nullptr;
  CallKey key;
};

const char* strategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kLongestIdle:
      return "longest_idle";
    case Strategy::kRoundRobin:
      return "round_robin";
    case Strategy::kFewestCalls:
      return "fewest_calls";
    case Strategy::kLeastTalkTime:
      return "least_talk_time";
    case Strategy::kRingAll:
      return "ring_all";
    case Strategy::kLinear:
      return "linear";
    case Strategy::kRandom:
      return "random";
    case Strategy::kSkillsBased:
      return "skills_based";
  }
  return "unknown";
}

std::optional<Strategy> parseStrategy(std::string_view name) {
  for (Strategy s : {Strategy::kLongestIdle, Strategy::kRoundRobin, Strategy::kFewestCalls,
                     Strategy::kLeastTalkTime, Strategy::kRingAll, Strategy::kLinear,
                     Strategy::kRandom, Strategy::kSkillsBased}) {
    if (name == strategyName(s)) return s;
  }
  return std::nullopt;
}

Router::Router(std::uint64_t random_seed) : rng_(random_seed) {}
Router::~Router() = default;

int Router::skillIndex(const SkillId& skill) {
  auto [it, inserted] = skills_.try_emplace(skill, static_cast<int>(skills_.size()));
  return it->second;
}

Status Router::addQueue(const QueueId& queue, Strategy strategy) {
  auto q = std::make_unique<Queue>();
  q->strategy = strategy;
  if (!queues_.try_emplace(queue, std::move(q)).second) {
    return conflict("queue exists: " + queue, "queue");
  }
  return Status::ok();
}

Status Router::removeQueue(const QueueId& queue) {
  auto it = queues_.find(queue);
  if (it == queues_.end()) return notFound("no queue " + queue);
  Queue* q = it->second.get();
  if (q->waiting > 0) return conflict("calls wait in queue " + queue, "queue");
  for (const auto& [id, member] : q->members) {
    auto& qs = agents_.at(id)->queues;
    qs.erase(std::find(qs.begin(), qs.end(), q));
  }
  queues_.erase(it);
  return Status::ok();
}

Status Router::addAgent(AgentId agent) {
  if (!agents_.try_emplace(agent, std::make_unique<Agent>()).second) {
    return conflict("agent exists: " + std::to_string(agent), "agent");
  }
  return Status::ok();
}

Status Router::removeAgent(AgentId agent) {
  auto it = agents_.find(agent);
  if (it == agents_.end()) return notFound("no agent " + std::to_string(agent));
  if (it->second->available) unindex(*it->second, agent);
  for (Queue* q : it->second->queues) q->members.erase(agent);
  agents_.erase(it);
  return Status::ok();
}

Status Router::setAgentSkill(AgentId agent, const SkillId& skill, int level) {
  if (level != 0 && (level < kMinSkillLevel || level > kMaxSkillLevel)) {
    return invalidValue("skill level must be 1-5 (0 removes)", "level");
  }
  auto it = agents_.find(agent);
  if (it == agents_.end()) return notFound("no agent " + std::to_string(agent));
  Agent& a = *it->second;
  if (a.available) unindex(a, agent);
  if (level == 0) {
    auto s = skills_.find(skill);
    if (s != skills_.end()) a.skills.erase(s->second);
  } else {
    a.skills[skillIndex(skill)] = level;
  }
  if (a.available) index(a, agent);
  return Status::ok();
}

Status Router::addMember(const QueueId& queue, AgentId agent, int tier) {
  auto q = queues_.find(queue);
  if (q == queues_.end()) return notFound("no queue " + queue);
  auto a = agents_.find(agent);
  if (a == agents_.end()) return notFound("no agent " + std::to_string(agent));
  Queue& qu = *q->second;
  if (!qu.members.try_emplace(agent, Queue::Member{tier, qu.next_position++}).second) {
    return conflict("agent " + std::to_string(agent) + " is already in queue " + queue, "agent");
  }
  a->second->queues.push_back(&qu);
  if (a->second->available) indexIn(qu, *a->second, agent, true);
  return Status::ok();
}

Status Router::removeMember(const QueueId& queue, AgentId agent) {
  auto q = queues_.find(queue);
  if (q == queues_.end()) return notFound("no queue " + queue);
  Queue& qu = *q->second;
  if (!qu.members.contains(agent)) {
    return notFound("agent " + std::to_string(agent) + " is not in queue " + queue);
  }
  Agent& a = *agents_.at(agent);
  if (a.available) indexIn(qu, a, agent, false);
  qu.members.erase(agent);
  a.queues.erase(std::find(a.queues.begin(), a.queues.end(), &qu));
  return Status::ok();
}

void Router::indexIn(Queue& q, const Agent& agent, AgentId id, bool insert) {
  const Queue::Member& m = q.members.at(id);
  Tier& tier = q.tiers[m.tier];
  const AgentStats& s = agent.stats;
  auto apply = [&](std::set<AgentKey>& set, AgentKey key) {
    if (insert) {
      set.insert(key);
    } else {
      set.erase(key);
    }
  };
  switch (q.strategy) {
    case Strategy::kLongestIdle:
    case Strategy::kRingAll:
      apply(tier.ordered, {s.idle_since, 0, id});
      break;
    case Strategy::kFewestCalls:
      apply(tier.ordered, {s.calls_handled, s.idle_since, id});
      break;
    case Strategy::kLeastTalkTime:
      apply(tier.ordered, {s.talk_ms, s.idle_since, id});
      break;
    case Strategy::kRoundRobin:
    case Strategy::kLinear:
      apply(tier.ordered, {m.position, 0, id});
      break;
    case Strategy::kRandom:
      if (insert) {
        tier.pool_pos[id] = tier.pool.size();
        tier.pool.push_back(id);
      } else {
        std::size_t pos = tier.pool_pos.at(id);
        tier.pool[pos] = tier.pool.back();
        tier.pool_pos[tier.pool[pos]] = pos;
        tier.pool.pop_back();
        tier.pool_pos.erase(id);
      }
      break;
    case Strategy::kSkillsBased:
      apply(tier.ordered, {s.idle_since, 0, id});
      for (const auto& [skill, level] : agent.skills) {
        apply(tier.by_skill[skill][level], {s.idle_since, 0, id});
      }
      break;
  }
  if (insert) {
    ++tier.available;
  } else {
    --tier.available;
  }
}

void Router::index(Agent& agent, AgentId id) {
  for (Queue* q : agent.queues) indexIn(*q, agent, id, true);
}

void Router::unindex(Agent& agent, AgentId id) {
  for (Queue* q : agent.queues) indexIn(*q, agent, id, false);
}

Status Router::agentBecameAvailable(AgentId agent, const AgentStats& stats) {
  auto it = agents_.find(agent);
  if (it == agents_.end()) return notFound("no agent " + std::to_string(agent));
  Agent& a = *it->second;
  if (a.available) unindex(a, agent);
  a.stats = stats;
  a.available = true;
  index(a, agent);
  return Status::ok();
}

Status Router::agentBecameUnavailable(AgentId agent) {
  auto it = agents_.find(agent);
  if (it == agents_.end()) return notFound("no agent " + std::to_string(agent));
  if (it->second->available) take(agent);
  return Status::ok();
}

void Router::take(AgentId id) {
  Agent& a = *agents_.at(id);
  unindex(a, id);
  a.available = false;
}

bool Router::isAvailable(AgentId agent) const {
  auto it = agents_.find(agent);
  return it != agents_.end() && it->second->available;
}

Status Router::enqueue(const QueueId& queue, WaitingCall call) {
  auto q = queues_.find(queue);
  if (q == queues_.end()) return notFound("no queue " + queue);
  if (calls_.contains(call.id)) {
    return conflict("call " + std::to_string(call.id) + " is already queued", "call");
  }
  Queue& qu = *q->second;
  std::string profile;
  std::vector<Requirement> requirements;
  if (qu.strategy == Strategy::kSkillsBased) {
    for (const auto& r : call.skills) {
      if (r.skill.empty()) return invalidValue("required skill without a name", "skills");
      std::int64_t last = std::numeric_limits<std::int64_t>::min();
      for (const auto& s : r.steps) {
        if (s.min_level < kMinSkillLevel || s.min_level > kMaxSkillLevel) {
          return invalidValue("min_level must be 1-5", "skills");
        }
        if (s.after_seconds <= last) {
          return invalidValue("steps must have ascending after_seconds", "skills");
        }
        last = s.after_seconds;
      }
      Requirement req{skillIndex(r.skill), r.steps};
      profile += std::to_string(req.skill);
      for (const auto& s : r.steps) {
        profile += ',';
        profile += std::to_string(s.after_seconds);
        profile += ':';
        profile += std::to_string(s.min_level);
      }
      profile += ';';
      requirements.push_back(std::move(req));
    }
  }
  auto [git, created] = qu.groups.try_emplace(profile);
  CallGroup& group = git->second;
  if (created) {
    group.profile = profile;
    group.requirements = std::move(requirements);
  }
  auto record = std::make_unique<CallRecord>();
  record->queue = &qu;
  record->group = &group;
  record->key = {-static_cast<std::int64_t>(call.priority), call.arrived, next_seq_++, call.id};
  group.calls.insert(record->key);
  ++qu.waiting;
  calls_.emplace(call.id, std::move(record));
  return Status::ok();
}

void Router::removeCall(CallId id) {
  auto it = calls_.find(id);
  CallRecord& r = *it->second;
  r.group->calls.erase(r.key);
  --r.queue->waiting;
  if (r.group->calls.empty()) r.queue->groups.erase(r.group->profile);
  calls_.erase(it);
}

Status Router::cancel(CallId call) {
  if (!calls_.contains(call)) return notFound("call " + std::to_string(call) + " is not queued");
  removeCall(call);
  return Status::ok();
}

std::optional<std::size_t> Router::position(CallId call) const {
  auto it = calls_.find(call);
  if (it == calls_.end()) return std::nullopt;
  const CallRecord& r = *it->second;
  std::size_t ahead = 0;
  for (const auto& [profile, group] : r.queue->groups) {
    ahead += static_cast<std::size_t>(
        std::distance(group.calls.begin(), group.calls.lower_bound(r.key)));
  }
  return ahead + 1;
}

Status Router::changePriority(CallId call, int priority) {
  auto it = calls_.find(call);
  if (it == calls_.end()) return notFound("call " + std::to_string(call) + " is not queued");
  CallRecord& r = *it->second;
  r.group->calls.erase(r.key);
  r.key.neg_priority = -static_cast<std::int64_t>(priority);
  r.group->calls.insert(r.key);
  return Status::ok();
}

std::size_t Router::waitingCount(const QueueId& queue) const {
  auto q = queues_.find(queue);
  return q == queues_.end() ? 0 : q->second->waiting;
}

std::optional<Offer> Router::next(const QueueId& queue, UnixMillis now) {
  auto qit = queues_.find(queue);
  if (qit == queues_.end() || qit->second->waiting == 0) return std::nullopt;
  Queue& q = *qit->second;
  Offer offer;

  if (q.strategy != Strategy::kSkillsBased) {
    // One group: every call takes any member.
    const CallGroup& group = q.groups.begin()->second;
    auto tier_it = std::find_if(q.tiers.begin(), q.tiers.end(),
                                [](const auto& t) { return t.second.available > 0; });
    if (tier_it == q.tiers.end()) return std::nullopt;
    Tier& tier = tier_it->second;
    offer.call = group.calls.begin()->id;
    offer.tier = tier_it->first;
    switch (q.strategy) {
      case Strategy::kRingAll:
        for (const auto& k : tier.ordered) {
          if (offer.agents.size() == kRingAllLimit) break;
          offer.agents.push_back(k.id);
        }
        break;
      case Strategy::kRandom: {
        std::uniform_int_distribution<std::size_t> pick(0, tier.pool.size() - 1);
        offer.agents.push_back(tier.pool[pick(rng_)]);
        break;
      }
      case Strategy::kRoundRobin: {
        auto it = tier.ordered.lower_bound({tier.rr_last + 1, 0, 0});
        if (it == tier.ordered.end()) it = tier.ordered.begin();
        tier.rr_last = it->a;
        offer.agents.push_back(it->id);
        break;
      }
      default:
        offer.agents.push_back(tier.ordered.begin()->id);
        break;
    }
  } else {
    // Heads of the groups in priority order; the first that finds an agent wins.
    std::vector<const CallGroup*> heads;
    heads.reserve(q.groups.size());
    for (const auto& [profile, group] : q.groups) heads.push_back(&group);
    std::sort(heads.begin(), heads.end(), [](const CallGroup* x, const CallGroup* y) {
      return *x->calls.begin() < *y->calls.begin();
    });
    for (const CallGroup* group : heads) {
      const CallKey& head = *group->calls.begin();
      const std::int64_t waited = now - head.arrived;
      const auto& reqs = group->requirements;
      std::optional<AgentId> found;
      for (auto& [tier_no, tier] : q.tiers) {
        if (tier.available == 0) continue;
        if (reqs.empty()) {
          found = tier.ordered.begin()->id;
        } else {
          auto buckets = tier.by_skill.find(reqs.front().skill);
          if (buckets != tier.by_skill.end()) {
            const int min0 = levelAfter(reqs.front(), waited);
            for (int level = kMaxSkillLevel; level >= min0 && !found; --level) {
              for (const auto& k : buckets->second[level]) {
                const Agent& a = *agents_.at(k.id);
                bool ok = true;
                for (std::size_t i = 1; i < reqs.size() && ok; ++i) {
                  auto s = a.skills.find(reqs[i].skill);
                  ok = s != a.skills.end() && s->second >= levelAfter(reqs[i], waited);
                }
                if (ok) {
                  found = k.id;
                  break;
                }
              }
            }
          }
        }
        if (found) {
          offer.tier = tier_no;
          break;
        }
      }
      if (found) {
        offer.call = head.id;
        offer.agents.push_back(*found);
        break;
      }
    }
    if (offer.agents.empty()) return std::nullopt;
  }

  removeCall(offer.call);
  for (AgentId a : offer.agents) take(a);
  return offer;
}

std::optional<UnixMillis> Router::nextWidening(const QueueId& queue, UnixMillis now) const {
  auto qit = queues_.find(queue);
  if (qit == queues_.end()) return std::nullopt;
  std::optional<UnixMillis> earliest;
  for (const auto& [profile, group] : qit->second->groups) {
    const UnixMillis arrived = group.calls.begin()->arrived;
    for (const auto& r : group.requirements) {
      for (const auto& s : r.steps) {
        UnixMillis at = arrived + s.after_seconds * 1000;
        if (at > now) {
          if (!earliest || at < *earliest) earliest = at;
          break;
        }
      }
    }
  }
  return earliest;
}

}  // namespace ting::acd
