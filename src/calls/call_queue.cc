// Call control's ACD half: queued calls, offers to agents' phones, agent
// states, announcements, overflow, the staff-number announcement and the
// satisfaction survey. Loop thread only, like the rest of call control; the
// routing decisions come from acd::Router, agent states from
// acd::AgentStateMachine (docs/acd.md).

#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <cmath>
#include <future>
#include <numbers>

#include "calls/call_control.h"
#include "calls/call_state.h"
#include "sip/sdp.h"

namespace ting::calls {
namespace {

// An agent who rejected or missed an offer is not offered again for this
// long, so the call moves on to someone else.
constexpr std::chrono::milliseconds kReofferDelay{5000};
// How long the survey waits for a key after its question.
constexpr std::chrono::milliseconds kSurveyTimeout{10000};

std::string queueKey(std::int64_t tenant_id, const std::string& name) {
  return std::to_string(tenant_id) + "/" + name;
}

// Music on hold when the tenant has not uploaded a prompt named `moh`: a
// quiet pentatonic phrase, 8 s, synthesized once and looped.
media::PcmPtr builtInHoldMusic() {
  static const media::PcmPtr music = [] {
    constexpr double kNotes[] = {523.25, 587.33, 659.25, 783.99, 880.00,  783.99,
                                 659.25, 587.33, 523.25, 659.25, 783.99,  1046.50,
                                 880.00, 783.99, 659.25, 587.33};
    constexpr int kNoteSamples = media::kSampleRate / 2;
    auto pcm = std::make_shared<media::Pcm>();
    pcm->reserve(std::size(kNotes) * kNoteSamples);
    for (double f : kNotes) {
      for (int i = 0; i < kNoteSamples; ++i) {
        const double t = static_cast<double>(i) / media::kSampleRate;
        const double envelope = std::min(1.0, i / 400.0) * std::exp(-3.0 * t);
        const double v = 0.15 * envelope *
                         (std::sin(2 * std::numbers::pi * f * t) +
                          0.3 * std::sin(4 * std::numbers::pi * f * t));
        pcm->push_back(static_cast<std::int16_t>(v * 32767));
      }
    }
    return media::PcmPtr(std::move(pcm));
  }();
  return music;
}

// A phone that turned the call down (busy, decline) rather than missed it.
bool declined(int status) { return status == 486 || status == 600 || status == 603; }

// "1001" → "1 0 0 1", so TTS says digits one by one.
std::string spaced(const std::string& digits) {
  std::string out;
  for (char c : digits) {
    if (!out.empty()) out += ' ';
    out += c;
  }
  return out;
}

}  // namespace

// --- lookups ---

CallControl::AcdAgent* CallControl::agentByStaff(std::int64_t tenant_id,
                                                 const std::string& staff_no) {
  auto it = agent_by_staff_.find({tenant_id, staff_no});
  if (it == agent_by_staff_.end()) return nullptr;
  auto a = agents_.find(it->second);
  return a == agents_.end() ? nullptr : a->second.get();
}

CallControl::AcdQueue* CallControl::queueByName(std::int64_t tenant_id, const std::string& name) {
  auto it = queues_.find(queueKey(tenant_id, name));
  return it == queues_.end() ? nullptr : it->second.get();
}

std::int64_t CallControl::waitedMs(const Call& call) const {
  return call.queued_at == 0 ? 0 : clock_.nowMillis() - call.queued_at;
}

AgentStateView CallControl::viewOf(const AcdAgent& a) const {
  AgentStateView v;
  v.staff_no = a.setup.staff_no;
  v.state = acd::agentStateName(a.machine->state());
  v.reason = a.machine->notReadyReason();
  v.since = a.since;
  v.call_id = a.call_ref;
  v.wrap_up_ends_at = a.machine->deadline().value_or(0);
  for (const auto& key : a.queues) {
    if (auto q = queues_.find(key); q != queues_.end()) v.queues.push_back(q->second->setup.name);
  }
  v.calls_handled = a.machine->stats().calls_handled;
  return v;
}

// --- configuration ---

void CallControl::applyAcd(AcdSetup setup) {
  onLoop([&] {
    for (auto& p : setup.policies) policies_[p.tenant_id] = std::move(p.policy);
    std::set<std::int64_t> present;
    for (auto& s : setup.agents) {
      present.insert(s.user_id);
      auto it = agents_.find(s.user_id);
      if (it == agents_.end()) {
        auto a = std::make_unique<AcdAgent>();
        a->machine = std::make_unique<acd::AgentStateMachine>(
            static_cast<acd::AgentId>(s.user_id), policies_[s.tenant_id]);
        a->since = clock_.nowMillis();
        (void)router_.addAgent(static_cast<acd::AgentId>(s.user_id));
        it = agents_.emplace(s.user_id, std::move(a)).first;
      }
      AcdAgent& a = *it->second;
      for (const auto& [skill, level] : a.setup.skills) {
        if (!s.skills.contains(skill)) {
          (void)router_.setAgentSkill(static_cast<acd::AgentId>(s.user_id), skill, 0);
        }
      }
      for (const auto& [skill, level] : s.skills) {
        Status st = router_.setAgentSkill(static_cast<acd::AgentId>(s.user_id), skill, level);
        if (!st.isOk()) spdlog::warn("agent {}: skill {}: {}", s.staff_no, skill, st.message());
      }
      agent_by_staff_.erase({a.setup.tenant_id, a.setup.staff_no});
      a.setup = std::move(s);
      agent_by_staff_[{a.setup.tenant_id, a.setup.staff_no}] = a.setup.user_id;
    }
    // Queues: new ones, changed ones, memberships.
    std::set<std::string> keys;
    for (auto& qs : setup.queues) {
      const std::string key = queueKey(qs.tenant_id, qs.name);
      keys.insert(key);
      auto it = queues_.find(key);
      std::vector<QueueSetup::Member> old_members;
      if (it == queues_.end()) {
        (void)router_.addQueue(key, qs.strategy);
        auto q = std::make_unique<AcdQueue>();
        q->key = key;
        it = queues_.emplace(key, std::move(q)).first;
      } else {
        old_members = it->second->setup.members;
        if (it->second->setup.strategy != qs.strategy) {
          if (router_.waitingCount(key) == 0 && router_.removeQueue(key).isOk()) {
            (void)router_.addQueue(key, qs.strategy);
            for (const auto& m : old_members) {
              if (auto a = agents_.find(m.user_id); a != agents_.end()) {
                std::erase(a->second->queues, key);
              }
            }
            old_members.clear();
          } else {
            spdlog::warn("queue {}: strategy stays {} while calls wait; saved for later",
                         qs.name, acd::strategyName(it->second->setup.strategy));
            qs.strategy = it->second->setup.strategy;
          }
        }
      }
      AcdQueue& q = *it->second;
      auto memberOf = [](const std::vector<QueueSetup::Member>& list, std::int64_t user) {
        return std::find_if(list.begin(), list.end(),
                            [&](const auto& m) { return m.user_id == user; });
      };
      for (const auto& m : old_members) {
        auto now_m = memberOf(qs.members, m.user_id);
        if (now_m != qs.members.end() && now_m->tier == m.tier) continue;
        (void)router_.removeMember(key, static_cast<acd::AgentId>(m.user_id));
        if (auto a = agents_.find(m.user_id); a != agents_.end()) std::erase(a->second->queues, key);
      }
      for (const auto& m : qs.members) {
        auto was = memberOf(old_members, m.user_id);
        if (was != old_members.end() && was->tier == m.tier) continue;
        auto a = agents_.find(m.user_id);
        if (a == agents_.end()) continue;
        if (router_.addMember(key, static_cast<acd::AgentId>(m.user_id), m.tier).isOk()) {
          a->second->queues.push_back(key);
        }
      }
      q.setup = std::move(qs);
    }
    for (auto it = queues_.begin(); it != queues_.end();) {
      if (keys.contains(it->first) || !it->second->waiting.empty() ||
          !router_.removeQueue(it->first).isOk()) {
        ++it;
        continue;
      }
      for (auto& [id, a] : agents_) std::erase(a->queues, it->first);
      it = queues_.erase(it);
    }
    // Agents no longer in the setup leave when idle.
    for (auto it = agents_.begin(); it != agents_.end();) {
      const auto state = it->second->machine->state();
      if (present.contains(it->first) ||
          (state != acd::AgentState::kLoggedOut && state != acd::AgentState::kAvailable &&
           state != acd::AgentState::kNotReady)) {
        ++it;
        continue;
      }
      (void)router_.removeAgent(static_cast<acd::AgentId>(it->first));
      agent_by_staff_.erase({it->second->setup.tenant_id, it->second->setup.staff_no});
      it = agents_.erase(it);
    }
    for (auto& [id, a] : agents_) {
      if (router_.isAvailable(static_cast<acd::AgentId>(id))) dispatchFor(*a);
    }
    return 0;
  });
}

// --- agents ---

Result<AgentStateView> CallControl::agentState(std::int64_t tenant_id,
                                               const std::string& staff_no) {
  return onLoop([&]() -> Result<AgentStateView> {
    AcdAgent* a = agentByStaff(tenant_id, staff_no);
    if (a == nullptr) return notFound("no agent " + staff_no);
    return viewOf(*a);
  });
}

std::vector<AgentStateView> CallControl::agentStates(std::int64_t tenant_id) {
  return onLoop([&] {
    std::vector<AgentStateView> out;
    for (const auto& [key, id] : agent_by_staff_) {
      if (key.first != tenant_id) continue;
      if (auto a = agents_.find(id); a != agents_.end()) out.push_back(viewOf(*a->second));
    }
    return out;
  });
}

Result<AgentStateView> CallControl::setAgentState(std::int64_t tenant_id,
                                                  const std::string& staff_no,
                                                  const std::string& state,
                                                  const std::string& reason) {
  return onLoop([&]() -> Result<AgentStateView> {
    AcdAgent* a = agentByStaff(tenant_id, staff_no);
    if (a == nullptr) return notFound("no agent " + staff_no);
    acd::AgentStateMachine& m = *a->machine;
    const UnixMillis now = clock_.nowMillis();
    using S = acd::AgentState;
    auto change = [&]() -> std::optional<Result<acd::AgentTransition>> {
      if (state == "available") {
        switch (m.state()) {
          case S::kLoggedOut:
            return m.login(now);
          case S::kWrapUp:
            return m.endWrapUp(now);
          case S::kAvailable:
            return std::nullopt;
          default:  // not_ready; ringing and on_call: the machine says why not
            return m.setAvailable(now);
        }
      }
      if (state == "not_ready") return m.setNotReady(reason, now);
      if (state == "logged_out") {
        if (m.state() == S::kLoggedOut) return std::nullopt;
        return m.logout(now);
      }
      return Result<acd::AgentTransition>(
          invalidValue("state must be available, not_ready or logged_out", "state"));
    };
    auto result = change();
    if (!result) return viewOf(*a);
    Result<acd::AgentTransition> t = std::move(*result);
    if (!t.isOk()) return t.status();
    agentChanged(*a, std::move(t));
    return viewOf(*a);
  });
}

void CallControl::agentChanged(AcdAgent& a, Result<acd::AgentTransition> result, bool cooldown) {
  if (!result.isOk()) {
    spdlog::warn("agent {}: {}", a.setup.staff_no, result.status().message());
    return;
  }
  const acd::AgentTransition& t = *result;
  const auto id = static_cast<acd::AgentId>(a.setup.user_id);
  a.since = t.at;
  AgentStateChange change;
  change.tenant_id = a.setup.tenant_id;
  change.user_id = a.setup.user_id;
  change.staff_no = a.setup.staff_no;
  change.from = acd::agentStateName(t.from);
  change.to = acd::agentStateName(t.to);
  change.reason = t.reason;
  change.call_ref = a.call_ref;
  change.at = t.at;
  DomainEvent e;
  e.topic = "agents";
  e.name = "agent.state";
  e.tenant_id = a.setup.tenant_id;
  e.at = t.at;
  e.data_json = boost::json::serialize(boost::json::object{{"staff_no", a.setup.staff_no},
                                                           {"state", change.to},
                                                           {"from", change.from},
                                                           {"reason", change.reason},
                                                           {"call_id", change.call_ref}});
  records_.agentStateChanged(std::move(change));
  bus_.publish(e);

  if (a.wrap_timer != 0) {
    loop_.cancel(a.wrap_timer);
    a.wrap_timer = 0;
  }
  if (auto deadline = a.machine->deadline()) {
    const std::int64_t user = a.setup.user_id;
    a.wrap_timer = loop_.addTimerAfter(
        std::chrono::milliseconds(std::max<std::int64_t>(0, *deadline - t.at)), [this, user] {
          auto it = agents_.find(user);
          if (it == agents_.end()) return;
          it->second->wrap_timer = 0;
          if (auto done = it->second->machine->onTimer(clock_.nowMillis())) {
            agentChanged(*it->second, std::move(*done));
          }
        });
  }
  if (a.cooldown_timer != 0) {
    loop_.cancel(a.cooldown_timer);
    a.cooldown_timer = 0;
  }
  if (t.to != acd::AgentState::kAvailable) {
    (void)router_.agentBecameUnavailable(id);
    if (t.to == acd::AgentState::kLoggedOut) leaveEmptyQueues(a);
    return;
  }
  if (!cooldown) {
    a.routable = std::chrono::steady_clock::now();
    (void)router_.agentBecameAvailable(id, a.machine->stats());
    return dispatchFor(a);
  }
  (void)router_.agentBecameUnavailable(id);
  const std::int64_t user = a.setup.user_id;
  a.cooldown_timer = loop_.addTimerAfter(kReofferDelay, [this, user] {
    auto it = agents_.find(user);
    if (it == agents_.end()) return;
    AcdAgent& agent = *it->second;
    agent.cooldown_timer = 0;
    if (agent.machine->state() != acd::AgentState::kAvailable) return;
    agent.routable = std::chrono::steady_clock::now();
    (void)router_.agentBecameAvailable(static_cast<acd::AgentId>(user), agent.machine->stats());
    dispatchFor(agent);
  });
}

void CallControl::dispatchFor(AcdAgent& a) {
  if (stopping_) return;
  // Copy: an offer may change the agent's queues only through applyAcd, but
  // be safe against any reentry.
  const std::vector<std::string> keys = a.queues;
  for (const auto& key : keys) {
    if (!router_.isAvailable(static_cast<acd::AgentId>(a.setup.user_id))) return;
    dispatch(key);
  }
}

void CallControl::leaveEmptyQueues(AcdAgent& a) {
  for (const auto& key : std::vector<std::string>(a.queues)) {
    auto qi = queues_.find(key);
    if (qi == queues_.end() || !qi->second->setup.leave_empty) continue;
    AcdQueue& q = *qi->second;
    if (membersIn(q, /*staffed_only=*/false) > 0) continue;
    for (const auto& ref : std::vector<std::string>(q.waiting.begin(), q.waiting.end())) {
      auto c = calls_.find(ref);
      // A queued callback waits for the next agent to log in.
      if (c == calls_.end() || c->second->ended || !c->second->callback_number.empty()) continue;
      queueFailed(*c->second, &q, "no agent of queue " + q.setup.name + " is logged in");
    }
  }
}

// --- queued calls ---

void CallControl::queueEvent(const Call& call, const AcdQueue& queue, std::string event,
                             std::string staff_no, int position, std::string detail) {
  QueueEvent e;
  e.tenant_id = call.tenant_id;
  e.queue = queue.setup.name;
  e.call_ref = call.ref;
  e.event = std::move(event);
  e.staff_no = std::move(staff_no);
  e.position = position;
  e.wait_ms = waitedMs(call);
  e.detail = std::move(detail);
  e.at = clock_.nowMillis();
  DomainEvent d;
  d.topic = "queues";
  d.name = "queue." + e.event;
  d.tenant_id = e.tenant_id;
  d.at = e.at;
  boost::json::object data{{"queue", e.queue}, {"call_id", e.call_ref}, {"wait_ms", e.wait_ms}};
  if (!e.staff_no.empty()) data["staff_no"] = e.staff_no;
  if (e.position > 0) data["position"] = e.position;
  if (!e.detail.empty()) data["detail"] = e.detail;
  d.data_json = boost::json::serialize(data);
  records_.queueEvent(std::move(e));
  bus_.publish(d);
}

void CallControl::enterQueue(Call& call, const std::string& name) {
  AcdQueue* q = queueByName(call.tenant_id, name);
  if (q == nullptr) return transferFailed(call, "no queue " + name);
  if (!q->setup.join_empty && membersIn(*q, /*staffed_only=*/false) == 0) {
    return transferFailed(call, "no agent of queue " + name + " is logged in");
  }
  const UnixMillis now = clock_.nowMillis();
  call.queue = q->key;
  call.acd_id = next_acd_id_++;
  call.joined = std::chrono::steady_clock::now();
  call.queued_at = now;
  std::string detail;
  // A caller who gave up a moment ago gets their old place back.
  if (auto it = abandoned_.find({call.tenant_id, call.from_number});
      it != abandoned_.end() && !call.from_number.empty()) {
    if (it->second.until >= now && it->second.queue == q->key) {
      call.queued_at = it->second.queued_at;
      detail = "returned";
    }
    abandoned_.erase(it);
  }
  call.priority = 0;
  if (call.ivr) {
    const auto& vars = call.ivr->variables();
    if (auto p = vars.find("priority"); p != vars.end()) {
      try {
        call.priority = std::clamp(std::stoi(p->second), -100, 100);
      } catch (const std::exception&) {
        spdlog::info("call {}: priority '{}' is not a number; 0 used", call.ref, p->second);
      }
    }
  }
  call.skills = q->setup.skills;
  if (call.ivr) {
    const auto& vars = call.ivr->variables();
    if (auto v = vars.find("skills"); v != vars.end()) {
      auto wanted = parseCallSkills(v->second);
      if (wanted.isOk()) {
        call.skills = withCallSkills(std::move(call.skills), *wanted);
      } else {
        spdlog::info("call {}: skills '{}' ignored: {}", call.ref, v->second,
                     wanted.status().message());
      }
    }
  }
  Status s = router_.enqueue(q->key, {call.acd_id, call.priority, call.queued_at, call.skills});
  if (!s.isOk()) {
    call.queue.clear();
    call.acd_id = 0;
    return transferFailed(call, "queue " + name + ": " + s.message());
  }
  acd_calls_[call.acd_id] = call.ref;
  q->waiting.insert(call.ref);
  call.state = "queued";
  call.transfer_target = name;
  call.transfer_kind = "queue";
  records_.queued(call.tenant_id, call.ref, name, now);
  queueEvent(call, *q, "entered", "", static_cast<int>(router_.position(call.acd_id).value_or(0)),
             detail);
  const std::string ref = call.ref;
  const std::int64_t max_wait_ms =
      std::max<std::int64_t>(0, q->setup.max_wait_s * 1000LL - (now - call.queued_at));
  call.max_wait_timer = loop_.addTimerAfter(std::chrono::milliseconds(max_wait_ms),
                                            [this, ref] { maxWaitReached(ref); });
  snapshot(call);
  // Offer first: an announcement never holds up a free agent.
  dispatch(q->key);
  auto it = calls_.find(ref);
  if (it != calls_.end() && !it->second->ended && it->second->agent_user == 0) announce(ref);
}

void CallControl::dispatch(const std::string& key) {
  if (stopping_) return;
  auto it = queues_.find(key);
  if (it == queues_.end()) return;
  AcdQueue& q = *it->second;
  if (q.widen_timer != 0) {
    loop_.cancel(q.widen_timer);
    q.widen_timer = 0;
  }
  const UnixMillis now = clock_.nowMillis();
  while (auto o = router_.next(key, now)) offer(*o, q);
  if (auto widen = router_.nextWidening(key, now)) {
    q.widen_timer = loop_.addTimerAfter(
        std::chrono::milliseconds(std::max<std::int64_t>(0, *widen - now)), [this, key] {
          if (auto qi = queues_.find(key); qi != queues_.end()) qi->second->widen_timer = 0;
          dispatch(key);
        });
  }
}

void CallControl::offer(const acd::Offer& o, AcdQueue& q) {
  auto ci = acd_calls_.find(o.call);
  Call* call = nullptr;
  if (ci != acd_calls_.end()) {
    auto c = calls_.find(ci->second);
    if (c != calls_.end() && !c->second->ended) call = c->second.get();
  }
  // The router took these agents; give back any this offer does not use.
  auto giveBack = [this](acd::AgentId id) {
    auto a = agents_.find(static_cast<std::int64_t>(id));
    if (a != agents_.end() && a->second->machine->state() == acd::AgentState::kAvailable) {
      (void)router_.agentBecameAvailable(id, a->second->machine->stats());
    }
  };
  if (call == nullptr) {
    for (auto id : o.agents) giveBack(id);
    return;
  }
  q.waiting.erase(call->ref);
  const UnixMillis now = clock_.nowMillis();
  // A queued callback shows the customer it will call.
  const bool callback = !call->callback_number.empty();
  const std::string& customer = callback ? call->callback_number : call->from_number;
  const std::string caller = customer.empty() ? "anonymous" : customer;
  // The screen pop: everything the agent's console shows while it rings;
  // the same for every agent of a ring group but the staff number.
  boost::json::object vars;
  boost::json::value path = boost::json::array();
  if (call->ivr) {
    for (const auto& [k, v] : call->ivr->variables()) vars[k] = v;
    boost::system::error_code ec;
    path = boost::json::parse(call->ivr->pathJson(), ec);
    if (ec) path = boost::json::array();
  }
  boost::json::object pop{{"call_id", call->ref},
                          {"staff_no", ""},
                          {"caller", customer},
                          {"did", call->did},
                          {"queue", q.setup.name},
                          {"wait_ms", waitedMs(*call)},
                          {"priority", call->priority},
                          {"ivr_path", std::move(path)},
                          {"variables", std::move(vars)},
                          {"customer_ids", boost::json::array()},
                          {"customer_match", "pending"},
                          {"customers", boost::json::array()},
                          {"customer_lookup", customer}};
  if (call->customers_known) {
    pop["customer_ids"] = boost::json::value_from(call->customer_ids);
    boost::system::error_code cards_ec;
    boost::json::value cards = boost::json::parse(call->customer_cards_json, cards_ec);
    if (!cards_ec) pop["customers"] = std::move(cards);
    pop["customer_match"] = call->customer_ids.empty()       ? "none"
                            : call->customer_ids.size() == 1 ? "one"
                                                             : "several";
  }
  if (callback) {
    pop["callback"] = true;
    pop["callback_for"] = call->parent_ref;
    pop["callback_attempt"] = call->callback_attempts + 1;
  }
  for (acd::AgentId id : o.agents) {
    auto ai = agents_.find(static_cast<std::int64_t>(id));
    if (ai == agents_.end()) continue;
    AcdAgent& a = *ai->second;
    auto reg = a.setup.sip_extension.empty()
                   ? std::nullopt
                   : sip_->findRegistration(call->tenant_id, a.setup.sip_extension);
    std::optional<OfferLeg> leg;
    if (reg) {
      auto rung = ringPhone(*call, reg->contact, callback ? "回呼 " + caller : caller, caller,
                            call->sdp_session + 2 + call->offers.size());
      if (!rung) {
        giveBack(id);
        continue;
      }
      leg = *rung;
      leg->agent = a.setup.user_id;
    }
    a.call_ref = call->ref;
    a.queue = q.key;
    agentChanged(a, a.machine->offer(o.call, now));
    if (!leg) {
      // An offer the phone cannot get counts as missed: the agent is marked
      // not ready after a few, rather than holding calls back unseen.
      queueEvent(*call, q, "missed", a.setup.staff_no, 0, "phone not registered");
      agentChanged(a, a.machine->missed(now), /*cooldown=*/true);
      a.call_ref.clear();
      continue;
    }
    call->offers.push_back(*leg);
    if (offer_latency_ != nullptr) {
      const auto since = std::max(a.routable, call->joined);
      offer_latency_->observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count());
    }
    queueEvent(*call, q, "offered", a.setup.staff_no);
    pop["staff_no"] = a.setup.staff_no;
    publish(*call, "call.offered", boost::json::serialize(pop));
  }
  if (call->offers.empty()) return requeue(*call, /*dispatch_now=*/false);
  call->state = "offered";
  const std::string ref = call->ref;
  call->offer_timer = loop_.addTimerAfter(std::chrono::seconds(q.setup.offer_timeout_s),
                                          [this, ref] { offerTimedOut(ref); });
  snapshot(*call);
}

Result<OfferLeg> CallControl::ringPhone(Call& call, const std::string& contact,
                                        const std::string& display, const std::string& user,
                                        std::uint64_t sdp_session) {
  auto allocated = media_->allocateNear(call.media);
  if (!allocated) return allocated.status();
  OfferLeg leg{0, 0, allocated->id, allocated->port, sdp_session};
  by_media_[leg.media] = call.ref;
  auto tenant = directory_.tenantById(call.tenant_id);
  const std::string realm = tenant ? tenant->realm : sip_->advertisedHost();
  const std::string from = "\"" + display + "\" <sip:" + user + "@" + realm + ">";
  sip::LocalMedia local{sip_->advertisedHost(), leg.port, sdp_session, 0};
  leg.leg = sip_->invite(contact, from, sip::writeSdp(local, nullptr), std::nullopt);
  by_leg_[leg.leg] = call.ref;
  return leg;
}

void CallControl::dropLeg(sip::LegId leg, media::SessionId media, bool hangup) {
  if (leg != 0) {
    by_leg_.erase(leg);
    if (hangup) sip_->hangup(leg);
  }
  if (media != 0) {
    by_media_.erase(media);
    media_->release(media);  // also ends any bridge it is in
  }
}

void CallControl::dequeue(Call& call) {
  if (call.acd_id == 0) return;
  (void)router_.cancel(call.acd_id);  // not found while offered: fine
  acd_calls_.erase(call.acd_id);
  call.acd_id = 0;
  if (auto qi = queues_.find(call.queue); qi != queues_.end()) qi->second->waiting.erase(call.ref);
}

void CallControl::stopWaitTimers(Call& call) {
  for (auto* timer : {&call.max_wait_timer, &call.announce_timer}) {
    if (*timer != 0) loop_.cancel(*timer);
    *timer = 0;
  }
}

int CallControl::membersIn(const AcdQueue& q, bool staffed_only) const {
  int n = 0;
  for (const auto& m : q.setup.members) {
    auto a = agents_.find(m.user_id);
    if (a == agents_.end()) continue;
    const auto s = a->second->machine->state();
    n += s != acd::AgentState::kLoggedOut && !(staffed_only && s == acd::AgentState::kNotReady);
  }
  return n;
}

void CallControl::requeue(Call& call, bool dispatch_now) {
  auto qi = queues_.find(call.queue);
  if (qi == queues_.end() || call.acd_id == 0) {
    return queueFailed(call, nullptr, "the queue was removed");
  }
  AcdQueue& q = *qi->second;
  Status s = router_.enqueue(q.key, {call.acd_id, call.priority, call.queued_at, call.skills});
  if (!s.isOk()) return queueFailed(call, &q, s.message());
  q.waiting.insert(call.ref);
  call.state = "queued";
  call.joined = std::chrono::steady_clock::now();
  snapshot(call);
  if (dispatch_now) dispatch(q.key);
}

void CallControl::offerAnswered(Call& call, sip::LegId leg,
                                const Result<media::RemoteMedia>& remote) {
  auto won = std::find_if(call.offers.begin(), call.offers.end(),
                          [&](const OfferLeg& o) { return o.leg == leg; });
  if (!remote) {
    spdlog::warn("call {}: agent's phone answered with unusable SDP: {}", call.ref,
                 remote.status().message());
    by_leg_.erase(leg);
    sip_->hangup(leg);
    return offerEnded(call, leg, 488);
  }
  const OfferLeg winner = *won;
  call.offers.erase(won);
  withdrawOffers(call);  // the others of a ring group
  const UnixMillis now = clock_.nowMillis();
  auto ai = agents_.find(winner.agent);
  AcdQueue* q = nullptr;
  if (auto qi = queues_.find(call.queue); qi != queues_.end()) q = qi->second.get();
  stopWaitTimers(call);
  dequeue(call);
  takeAgentLeg(call, winner);
  if (ai != agents_.end()) {
    AcdAgent& a = *ai->second;
    call.agent_staff_no = a.setup.staff_no;
    agentChanged(a, a.machine->answer(now));
  }
  call.transfer_target = call.agent_staff_no;
  call.transfer_kind = "agent";
  records_.agentConnected(call.tenant_id, call.ref, call.agent_staff_no, now);
  if (q != nullptr) queueEvent(call, *q, "answered", call.agent_staff_no);
  media_->setRemote(call.agent_media, *remote);
  if (!call.callback_number.empty()) return dialCallback(call);
  if (q != nullptr && q->setup.announce_staff_no) {
    // 报工号: the caller hears the agent's number, then they are joined.
    call.phase = "announcing";
    call.state = "connecting";
    snapshot(call);
    return playText(call, kStaffNoPlayId, spaced(call.agent_staff_no) + " 号为您服务。");
  }
  bridgeTo(call, nullptr);
}
void CallControl::offerEnded(Call& call, sip::LegId leg, int status) {
  auto it = std::find_if(call.offers.begin(), call.offers.end(),
                         [&](const OfferLeg& o) { return o.leg == leg; });
  if (it == call.offers.end()) return;
  const OfferLeg o = *it;
  call.offers.erase(it);
  offerFailed(call, o, /*hangup=*/false, declined(status), "SIP " + std::to_string(status));
  if (!call.offers.empty()) return;
  if (call.offer_timer != 0) loop_.cancel(call.offer_timer);
  call.offer_timer = 0;
  requeue(call, true);
}

void CallControl::offerFailed(Call& call, const OfferLeg& o, bool hangup, bool rejected,
                              const std::string& why) {
  dropLeg(o.leg, o.media, hangup);
  auto ai = agents_.find(o.agent);
  if (ai == agents_.end()) return;
  AcdAgent& a = *ai->second;
  if (auto qi = queues_.find(call.queue); qi != queues_.end()) {
    queueEvent(call, *qi->second, rejected ? "rejected" : "missed", a.setup.staff_no, 0, why);
  }
  const UnixMillis now = clock_.nowMillis();
  agentChanged(a, rejected ? a.machine->reject(now) : a.machine->missed(now), /*cooldown=*/true);
  a.call_ref.clear();
}
void CallControl::offerTimedOut(const std::string& ref) {
  auto it = calls_.find(ref);
  if (it == calls_.end() || it->second->ended) return;
  Call& call = *it->second;
  call.offer_timer = 0;
  if (call.offers.empty()) return;
  auto qi = queues_.find(call.queue);
  const std::string why =
      qi == queues_.end()
          ? "no answer"
          : "no answer in " + std::to_string(qi->second->setup.offer_timeout_s) + " s";
  const std::vector<OfferLeg> offers = std::move(call.offers);
  call.offers.clear();
  for (const auto& o : offers) offerFailed(call, o, /*hangup=*/true, /*rejected=*/false, why);
  requeue(call, true);
}
void CallControl::withdrawOffers(Call& call) {
  if (call.offer_timer != 0) loop_.cancel(call.offer_timer);
  call.offer_timer = 0;
  const UnixMillis now = clock_.nowMillis();
  const std::vector<OfferLeg> offers = std::move(call.offers);
  call.offers.clear();
  for (const auto& o : offers) {
    dropLeg(o.leg, o.media, /*hangup=*/true);
    auto ai = agents_.find(o.agent);
    if (ai == agents_.end()) continue;
    ai->second->call_ref.clear();
    agentChanged(*ai->second, ai->second->machine->withdraw(now));
  }
}
void CallControl::agentLegEnded(Call& call) {
  // The agent hung up: after-call work starts; the caller may answer the survey.
  if (!call.callback_number.empty() && !call.bridged) {
    return callbackNotReached(call, "the agent hung up", CallbackMiss::kAgentLeft);
  }
  auto qi = queues_.find(call.queue);
  AcdQueue* q = qi == queues_.end() ? nullptr : qi->second.get();
  stopMonitor(call);
  if (call.consult.leg != 0) {
    if (call.consult_connected) {
      // Hanging up during a consultation hands the customer over.
      call.agent_leg = 0;
      return completeConsult(call);
    }
    endConsult(call, 0, true);
  }
  endAgentCall(call);
  if (q != nullptr && q->setup.survey && call.leg != 0 && call.phase.empty()) {
    media_->unbridge(call.media);
    call.bridged = false;
    call.phase = "survey";
    call.state = "survey";
    snapshot(call);
    return playText(call, kSurveyPlayId,
                    "请对本次服务进行评价。非常满意请按5，满意请按4，一般请按3，不满意请按2，"
                    "非常不满意请按1。");
  }
  hangup(call, "agent_hangup", "agent");
}

void CallControl::endAgentCall(Call& call) {
  if (call.agent_user == 0) return;
  auto ai = agents_.find(call.agent_user);
  if (ai == agents_.end()) return;
  AcdAgent& a = *ai->second;
  if (a.call_ref != call.ref || a.machine->state() != acd::AgentState::kOnCall) return;
  auto qi = queues_.find(call.queue);
  const std::int64_t wrap_ms =
      qi == queues_.end() ? 0 : std::int64_t{qi->second->setup.wrap_up_s} * 1000;
  const std::int64_t talk_ms = clock_.nowMillis() - a.since;
  if (qi != queues_.end()) {
    AcdQueue& q = *qi->second;
    q.avg_handle_ms = 0.8 * q.avg_handle_ms + 0.2 * static_cast<double>(talk_ms + wrap_ms);
    queueEvent(call, q, "completed", a.setup.staff_no, 0, "talk_ms=" + std::to_string(talk_ms));
  }
  agentChanged(a, a.machine->callEnded(wrap_ms, clock_.nowMillis()));
  a.call_ref.clear();
}

void CallControl::leaveQueue(Call& call) {
  stopWaitTimers(call);
  if (call.survey_timer != 0) loop_.cancel(call.survey_timer);
  call.survey_timer = 0;
  if (call.queue.empty()) return;
  auto qi = queues_.find(call.queue);
  AcdQueue* q = qi == queues_.end() ? nullptr : qi->second.get();
  const bool offered = !call.offers.empty();
  withdrawOffers(call);
  if (!call.callback_number.empty()) dequeue(call);  // a callback: the request stays
  if (call.acd_id != 0) {
    const int position = static_cast<int>(router_.position(call.acd_id).value_or(0));
    dequeue(call);
    if (q != nullptr) {
      queueEvent(call, *q, "abandoned", "", position, offered ? "while ringing an agent" : "");
      if (!call.from_number.empty() && q->setup.abandon_return_s > 0) {
        abandoned_[{call.tenant_id, call.from_number}] = {
            q->key, call.queued_at, clock_.nowMillis() + q->setup.abandon_return_s * 1000LL};
      }
    }
  }
  endAgentCall(call);
  // Forget returns that can no longer be claimed.
  const UnixMillis now = clock_.nowMillis();
  std::erase_if(abandoned_, [now](const auto& kv) { return kv.second.until < now; });
}

void CallControl::maxWaitReached(const std::string& ref) {
  auto it = calls_.find(ref);
  if (it == calls_.end() || it->second->ended) return;
  Call& call = *it->second;
  call.max_wait_timer = 0;
  if (call.acd_id == 0) return;
  withdrawOffers(call);
  dequeue(call);
  auto qi = queues_.find(call.queue);
  if (qi == queues_.end()) return queueFailed(call, nullptr, "the queue was removed");
  AcdQueue& q = *qi->second;
  queueEvent(call, q, "timed_out", "", 0, overflowName(q.setup.overflow));
  overflow(call, q);
}

void CallControl::overflow(Call& call, AcdQueue& q) {
  switch (q.setup.overflow) {
    case Overflow::kQueue: {
      AcdQueue* next = queueByName(call.tenant_id, q.setup.overflow_queue);
      if (next == nullptr || next == &q) break;
      queueEvent(call, q, "transferred", "", 0, "queue:" + next->setup.name);
      call.queue.clear();
      return enterQueue(call, next->setup.name);
    }
    case Overflow::kCallback:
      return queuedCallback(call);
    case Overflow::kHangup:
      call.phase = "goodbye";
      return playText(call, kGoodbyePlayId, "很抱歉，现在坐席全忙，请您稍后再拨。再见。");
    case Overflow::kFallback:
      break;
  }
  queueFailed(call, &q, "waited " + std::to_string(q.setup.max_wait_s) + " s in queue " +
                            q.setup.name);
}

void CallControl::queueFailed(Call& call, AcdQueue* q, const std::string& why) {
  if (!call.callback_number.empty()) return callbackNotReached(call, why, CallbackMiss::kGiveUp);
  if (q != nullptr && call.acd_id != 0) queueEvent(call, *q, "left", "", 0, why);
  dequeue(call);
  withdrawOffers(call);
  stopWaitTimers(call);
  call.queue.clear();
  transferFailed(call, why);
}

// --- sounds and keys ---

void CallControl::playText(Call& call, std::uint64_t play_id, std::string text) {
  const std::string ref = call.ref;
  ivr::Prompt prompt;
  prompt.text = std::move(text);
  prompts_.fetch(call.tenant_id, prompt, [this, ref, play_id](Result<media::PcmPtr> pcm) {
    loop_.post([this, ref, play_id, pcm = std::move(pcm)] {
      auto it = calls_.find(ref);
      if (it == calls_.end() || it->second->ended) return;
      Call& c = *it->second;
      // Still wanted? The call may have moved on while the prompt rendered.
      const bool wanted = play_id == kAnnouncePlayId ? c.acd_id != 0 && !c.bridged
                          : play_id == kStaffNoPlayId ? c.phase == "announcing"
                          : play_id == kSurveyPlayId  ? c.phase == "survey"
                                                      : c.phase == "goodbye";
      if (!wanted) return;
      if (!pcm) {
        spdlog::warn("call {}: prompt unavailable: {}", ref, pcm.status().message());
        return queuePlayDone(c, play_id);
      }
      media_->play(c.media, play_id, {*pcm}, false);
    });
  });
}

void CallControl::musicOnHold(Call& call) {
  const std::string ref = call.ref;
  ivr::Prompt prompt;
  prompt.file = "moh";
  prompts_.fetch(call.tenant_id, prompt, [this, ref](Result<media::PcmPtr> pcm) {
    loop_.post([this, ref, pcm = std::move(pcm)] {
      auto it = calls_.find(ref);
      if (it == calls_.end() || it->second->ended) return;
      Call& c = *it->second;
      if ((c.acd_id == 0 && !c.on_hold) || c.bridged) return;
      media_->play(c.media, kMohPlayId, {pcm ? *pcm : builtInHoldMusic()}, true);
    });
  });
}

void CallControl::announce(const std::string& ref) {
  auto it = calls_.find(ref);
  if (it == calls_.end() || it->second->ended) return;
  Call& call = *it->second;
  call.announce_timer = 0;
  auto qi = queues_.find(call.queue);
  if (call.acd_id == 0 || qi == queues_.end() || call.media == 0) return;
  AcdQueue& q = *qi->second;
  if (q.setup.announce_interval_s > 0) {
    call.announce_timer = loop_.addTimerAfter(std::chrono::seconds(q.setup.announce_interval_s),
                                              [this, ref] { announce(ref); });
  }
  auto position = router_.position(call.acd_id);
  if (!position) return;  // ringing an agent: the music goes on
  const int staffed = membersIn(q, /*staffed_only=*/true);
  const double wait_ms =
      static_cast<double>(*position) * q.avg_handle_ms / std::max(1, staffed);
  const int minutes = std::max(1, static_cast<int>(std::ceil(wait_ms / 60000.0)));
  std::string text = *position <= 1
                         ? "您是下一位，请稍候。"
                         : "您前面还有" + std::to_string(*position - 1) + "位客户，预计等待" +
                               std::to_string(minutes) + "分钟。";
  if (!q.setup.callback_key.empty()) {
    text += "如不想等待，请按" + q.setup.callback_key + "，我们会给您回电。";
  }
  // Repeats open with a comfort prompt: the caller is not forgotten.
  if (waitedMs(call) >= 5000) text = "感谢您的耐心等待，您的来电对我们很重要。" + text;
  playText(call, kAnnouncePlayId, std::move(text));
}

void CallControl::queuePlayDone(Call& call, std::uint64_t play_id) {
  if (play_id == kAnnouncePlayId) {
    if (call.acd_id != 0 || !call.offers.empty()) musicOnHold(call);
  } else if (play_id == kStaffNoPlayId) {
    if (call.phase != "announcing") return;
    call.phase.clear();
    if (call.agent_leg != 0) bridgeTo(call, nullptr);
  } else if (play_id == kSurveyPlayId) {
    if (call.phase != "survey") return;
    const std::string ref = call.ref;
    call.survey_timer = loop_.addTimerAfter(kSurveyTimeout, [this, ref] {
      auto it = calls_.find(ref);
      if (it == calls_.end() || it->second->ended) return;
      it->second->survey_timer = 0;
      hangup(*it->second, "agent_hangup", "agent");
    });
  } else if (play_id == kGoodbyePlayId) {
    if (call.phase != "goodbye") return;
    hangup(call, call.state == "callback" ? "queued_callback" : "agent_hangup", "system");
  }
}

void CallControl::queueDigit(Call& call, char digit) {
  if (call.acd_id != 0) {
    auto qi = queues_.find(call.queue);
    if (qi != queues_.end() && !qi->second->setup.callback_key.empty() &&
        qi->second->setup.callback_key.front() == digit) {
      queuedCallback(call);
    }
    return;
  }
  if (call.phase != "survey" || digit < '1' || digit > '5') return;
  if (call.survey_timer != 0) loop_.cancel(call.survey_timer);
  call.survey_timer = 0;
  const int score = digit - '0';
  records_.satisfaction(call.tenant_id, call.ref, score);
  boost::json::object data{{"call_id", call.ref}, {"score", score},
                           {"staff_no", call.agent_staff_no}};
  publish(call, "call.satisfaction", boost::json::serialize(data));
  call.phase = "goodbye";
  playText(call, kGoodbyePlayId, "感谢您的评价，再见。");
}

// --- call control through the API ---

Status CallControl::command(std::int64_t tenant_id, const std::string& ref,
                            const CallCommand& cmd, const std::string& agent) {
  return onLoop([&]() -> Status {
    auto it = calls_.find(ref);
    if (it == calls_.end() || it->second->ended || it->second->tenant_id != tenant_id) {
      return notFound("no call " + ref + " in progress");
    }
    Call& call = *it->second;
    if (!agent.empty() && call.agent_staff_no != agent) {
      return Status(StatusCode::kPermissionDenied, "agents control only their own calls");
    }
    if (cmd.action == "priority") return reprioritize(call, cmd.priority);
    if (call.agent_user == 0 || call.agent_leg == 0 || !call.phase.empty()) {
      return conflict("the call is not with an agent", "call").withReason("not_connected");
    }
    auto event = [&](const std::string& name) {
      boost::json::object data{{"call_id", call.ref}, {"staff_no", call.agent_staff_no},
                               {"by", agent.empty() ? "supervisor" : "agent"}};
      publish(call, name, boost::json::serialize(data));
    };
    if (cmd.action == "hold" || cmd.action == "resume") {
      if (call.consult.leg != 0) {
        return conflict("finish or cancel the consultation first", "call").withReason("consulting");
      }
      hold(call, cmd.action == "hold", !agent.empty());
    } else if (cmd.action == "consult") {
      return startConsult(call, cmd, !agent.empty());
    } else if (cmd.action == "consult_complete" || cmd.action == "consult_cancel") {
      if (call.consult.leg == 0) return notFound("no consultation in progress");
      if (cmd.action == "consult_cancel") {
        endConsult(call, 0, true);
        hold(call, false, !agent.empty());
      } else if (!call.consult_connected) {
        return conflict("the consulted agent has not answered yet", "call")
            .withReason("not_answered");
      } else {
        completeConsult(call);
      }
    } else if (cmd.action == "pause_recording" || cmd.action == "resume_recording") {
      const bool paused = cmd.action == "pause_recording";
      if (call.recording_paused == paused) return Status::ok();
      call.recording_paused = paused;
      media_->pauseRecording(call.media, paused);
      event(paused ? "call.recording_paused" : "call.recording_resumed");
    } else if (cmd.action == "hangup") {
      hangup(call, "api_hangup", agent.empty() ? "supervisor" : "agent");
      return Status::ok();
    } else if (cmd.action == "transfer") {
      return blindTransfer(call, cmd);
    } else if (cmd.action == "monitor") {
      return startMonitor(call, cmd);
    } else if (cmd.action == "stop_monitor") {
      if (call.sup_leg == 0) return notFound("nobody monitors the call");
      stopMonitor(call);
    } else {
      return invalidValue("unknown action " + cmd.action, "action");
    }
    snapshot(call);
    return Status::ok();
  });
}

Status CallControl::reprioritize(Call& call, int priority) {
  if (call.acd_id == 0 && call.retry_timer == 0) {
    return conflict("the call is not waiting in a queue", "call").withReason("not_queued");
  }
  const int was = call.priority;
  if (was == priority) return Status::ok();
  call.priority = priority;
  auto qi = queues_.find(call.queue);
  if (qi == queues_.end()) return Status::ok();
  AcdQueue& q = *qi->second;
  // Waiting (not ringing a phone): take its new place now. A call ringing a
  // phone, or a callback between tries, keeps the priority for its next turn.
  if (call.acd_id != 0 && router_.position(call.acd_id)) {
    TING_RETURN_IF_ERROR(router_.changePriority(call.acd_id, priority));
  }
  queueEvent(call, q, "reprioritized", "",
             static_cast<int>(router_.position(call.acd_id).value_or(0)),
             std::to_string(was) + " -> " + std::to_string(priority));
  snapshot(call);
  dispatch(q.key);
  return Status::ok();
}

Status CallControl::startMonitor(Call& call, const CallCommand& cmd) {
  if (cmd.mode != "listen" && cmd.mode != "whisper" && cmd.mode != "barge") {
    return invalidValue("mode must be listen, whisper or barge", "mode");
  }
  if (call.sup_leg != 0) {
    if (call.sup_staff_no != cmd.supervisor_staff_no) {
      return conflict(call.sup_staff_no + " already monitors the call", "call")
          .withReason("monitored");
    }
    call.monitor_mode = cmd.mode;  // a change of mode, at once
    if (call.sup_connected) applyMonitor(call);
    return Status::ok();
  }
  if (cmd.supervisor_extension.empty()) {
    return conflict("you have no SIP extension to listen on", "extension")
        .withReason("no_extension");
  }
  auto reg = sip_->findRegistration(call.tenant_id, cmd.supervisor_extension);
  if (!reg) {
    return conflict("your phone (" + cmd.supervisor_extension + ") is not registered",
                    "extension")
        .withReason("phone_not_registered");
  }
  TING_ASSIGN_OR_RETURN(OfferLeg leg, ringPhone(call, reg->contact, "monitor " + call.agent_staff_no,
                                                "monitor", call.sdp_session + 64));
  call.sup_leg = leg.leg;
  call.sup_media = leg.media;
  call.sup_port = leg.port;
  call.sup_staff_no = cmd.supervisor_staff_no;
  call.monitor_mode = cmd.mode;
  call.sup_connected = false;
  return Status::ok();
}

void CallControl::applyMonitor(Call& call) {
  if (call.sup_media == 0 || !call.sup_connected) return;
  // The supervisor hears both sides; whisper adds them to the agent's ear,
  // barge to both.
  media_->setMix(call.sup_media, {call.media, call.agent_media});
  const bool to_agent = call.monitor_mode == "whisper" || call.monitor_mode == "barge";
  const bool to_customer = call.monitor_mode == "barge";
  if (call.agent_media != 0) {
    media_->setMix(call.agent_media, to_agent ? std::vector<media::SessionId>{call.sup_media}
                                              : std::vector<media::SessionId>{});
  }
  media_->setMix(call.media, to_customer ? std::vector<media::SessionId>{call.sup_media}
                                         : std::vector<media::SessionId>{});
  boost::json::object data{{"call_id", call.ref}, {"staff_no", call.agent_staff_no},
                           {"supervisor", call.sup_staff_no}, {"mode", call.monitor_mode}};
  publish(call, "call.monitored", boost::json::serialize(data));
}

void CallControl::stopMonitor(Call& call) {
  if (call.sup_media == 0) return;
  media_->setMix(call.media, {});
  if (call.agent_media != 0) media_->setMix(call.agent_media, {});
  dropLeg(call.sup_leg, call.sup_media, /*hangup=*/true);
  boost::json::object data{{"call_id", call.ref}, {"supervisor", call.sup_staff_no}};
  call.sup_leg = 0;
  call.sup_media = 0;
  call.sup_connected = false;
  call.monitor_mode.clear();
  call.sup_staff_no.clear();
  if (!call.ended) publish(call, "call.monitor_ended", boost::json::serialize(data));
}

Result<CallControl::AcdAgent*> CallControl::availableTarget(const Call& call,
                                                            const std::string& staff_no) {
  AcdAgent* a = agentByStaff(call.tenant_id, staff_no);
  if (a == nullptr) return notFound("no agent " + staff_no);
  if (a->setup.user_id == call.agent_user) return invalidValue("the agent is on the call", "agent");
  if (a->machine->state() != acd::AgentState::kAvailable) {
    return conflict("agent " + staff_no + " is " + acd::agentStateName(a->machine->state()),
                    "agent")
        .withReason("agent_busy");
  }
  return a;
}

void CallControl::takeAgentLeg(Call& call, const OfferLeg& leg) {
  call.agent_leg = leg.leg;
  call.agent_media = leg.media;
  call.agent_port = leg.port;
  call.agent_user = leg.agent;
  call.agent_sdp_session = leg.sdp_session;
  call.agent_sdp_version = 0;
}

void CallControl::hold(Call& call, bool on, bool by_agent, bool from_phone) {
  if (call.on_hold == on) return;
  call.on_hold = on;
  if (!from_phone && call.agent_leg != 0) {
    // The phone shows the call held too (a=sendonly), and live again after.
    sip::LocalMedia local{sip_->advertisedHost(), call.agent_port, call.agent_sdp_session,
                          ++call.agent_sdp_version,
                          on ? sip::MediaDirection::kSendOnly : sip::MediaDirection::kSendRecv};
    sip_->reinvite(call.agent_leg, sip::writeSdp(local, nullptr));
  }
  if (on) {
    media_->unbridge(call.media);
    call.bridged = false;
    call.state = "held";
    musicOnHold(call);
  } else {
    media_->stopPlay(call.media);
    media_->bridge(call.media, call.agent_media);
    call.bridged = true;
    call.state = "bridged";
  }
  boost::json::object data{{"call_id", call.ref}, {"staff_no", call.agent_staff_no},
                           {"by", by_agent ? "agent" : "supervisor"}};
  publish(call, on ? "call.held" : "call.resumed", boost::json::serialize(data));
}

Status CallControl::startConsult(Call& call, const CallCommand& cmd, bool by_agent) {
  if (call.consult.leg != 0) {
    return conflict("a consultation is in progress", "call").withReason("consulting");
  }
  TING_ASSIGN_OR_RETURN(AcdAgent * a, availableTarget(call, cmd.staff_no));
  auto reg = a->setup.sip_extension.empty()
                 ? std::nullopt
                 : sip_->findRegistration(call.tenant_id, a->setup.sip_extension);
  if (!reg) {
    return conflict("agent " + cmd.staff_no + "'s phone is not registered", "agent")
        .withReason("phone_not_registered");
  }
  TING_ASSIGN_OR_RETURN(call.consult, ringPhone(call, reg->contact, call.agent_staff_no,
                                                call.agent_staff_no, call.sdp_session + 96));
  call.consult.agent = a->setup.user_id;
  call.consult_connected = false;
  hold(call, true, by_agent);
  (void)router_.agentBecameUnavailable(static_cast<acd::AgentId>(a->setup.user_id));
  a->call_ref = call.ref;
  a->queue = call.queue;
  agentChanged(*a, a->machine->offer(next_acd_id_++, clock_.nowMillis()));
  const std::string ref = call.ref;
  call.consult_timer = loop_.addTimerAfter(std::chrono::seconds(config_.transfer_ring_s), [this, ref] {
    auto it = calls_.find(ref);
    if (it == calls_.end() || it->second->ended) return;
    it->second->consult_timer = 0;
    if (!it->second->consult_connected) endConsult(*it->second, 408, true);
  });
  boost::json::object data{{"call_id", call.ref}, {"staff_no", call.agent_staff_no},
                           {"consulting", cmd.staff_no}};
  publish(call, "call.consulting", boost::json::serialize(data));
  snapshot(call);
  return Status::ok();
}

void CallControl::consultAnswered(Call& call, const Result<media::RemoteMedia>& remote) {
  if (!remote) return endConsult(call, 488, true);
  if (call.consult_timer != 0) loop_.cancel(call.consult_timer);
  call.consult_timer = 0;
  media_->setRemote(call.consult.media, *remote);
  media_->bridge(call.agent_media, call.consult.media);  // the two agents talk
  call.consult_connected = true;
  if (auto a = agents_.find(call.consult.agent); a != agents_.end()) {
    agentChanged(*a->second, a->second->machine->answer(clock_.nowMillis()));
  }
  boost::json::object data{{"call_id", call.ref}, {"staff_no", call.agent_staff_no},
                           {"consulting", agents_.contains(call.consult.agent)
                                              ? agents_.at(call.consult.agent)->setup.staff_no
                                              : ""}};
  publish(call, "call.consult_connected", boost::json::serialize(data));
}

void CallControl::endConsult(Call& call, int status, bool hangup) {
  if (call.consult.leg == 0) return;
  if (call.consult_timer != 0) loop_.cancel(call.consult_timer);
  call.consult_timer = 0;
  const OfferLeg c = call.consult;
  const bool connected = call.consult_connected;
  call.consult = OfferLeg{};
  call.consult_connected = false;
  dropLeg(c.leg, c.media, hangup);  // also ends its bridge with the agent
  std::string staff;
  if (auto ai = agents_.find(c.agent); ai != agents_.end()) {
    AcdAgent& a = *ai->second;
    staff = a.setup.staff_no;
    const UnixMillis now = clock_.nowMillis();
    if (connected) {
      agentChanged(a, a.machine->callEnded(0, now));  // a consultation has no wrap-up
    } else if (declined(status)) {
      agentChanged(a, a.machine->reject(now), true);
    } else if (status == 0) {
      agentChanged(a, a.machine->withdraw(now));
    } else {
      agentChanged(a, a.machine->missed(now), true);
    }
    a.call_ref.clear();
  }
  if (!call.ended) {
    boost::json::object data{{"call_id", call.ref}, {"staff_no", call.agent_staff_no},
                             {"consulting", staff}, {"answered", connected},
                             {"status", status}};
    publish(call, "call.consult_ended", boost::json::serialize(data));
    snapshot(call);
  }
}

void CallControl::completeConsult(Call& call) {
  // The consulted agent takes the customer; the first agent leaves (wrap-up).
  const OfferLeg c = call.consult;
  if (call.consult_timer != 0) loop_.cancel(call.consult_timer);
  call.consult_timer = 0;
  call.consult = OfferLeg{};
  call.consult_connected = false;
  auto ai = agents_.find(c.agent);
  const std::string staff = ai == agents_.end() ? "" : ai->second->setup.staff_no;
  dropAgent(call, "attended:" + staff);
  takeAgentLeg(call, c);
  call.agent_staff_no = staff;
  call.transfer_target = staff;
  call.transfer_kind = "agent";
  const UnixMillis now = clock_.nowMillis();
  records_.agentConnected(call.tenant_id, call.ref, staff, now);
  if (auto qi = queues_.find(call.queue); qi != queues_.end()) {
    queueEvent(call, *qi->second, "answered", staff, 0, "attended transfer");
  }
  bridgeTo(call, nullptr);
}

void CallControl::dropAgent(Call& call, const std::string& why) {
  // The agent's part ends: their phone is hung up, they go to wrap-up.
  stopMonitor(call);
  auto qi = queues_.find(call.queue);
  if (qi != queues_.end()) queueEvent(call, *qi->second, "transferred", call.agent_staff_no, 0, why);
  endAgentCall(call);
  dropLeg(call.agent_leg, call.agent_media, /*hangup=*/true);  // releasing ends the bridge
  call.agent_leg = 0;
  call.agent_media = 0;
  call.agent_user = 0;
  call.agent_staff_no.clear();
  call.bridged = false;
  call.on_hold = false;
  if (call.recording_paused) {
    call.recording_paused = false;
    media_->pauseRecording(call.media, false);
  }
}

Status CallControl::blindTransfer(Call& call, const CallCommand& cmd) {
  const int targets = int(!cmd.queue.empty()) + int(!cmd.staff_no.empty()) + int(!cmd.number.empty());
  if (targets != 1) return invalidValue("transfer to exactly one of queue, agent and number", "to");
  if (!cmd.queue.empty()) {
    AcdQueue* q = queueByName(call.tenant_id, cmd.queue);
    if (q == nullptr) return notFound("no queue " + cmd.queue);
    dropAgent(call, "queue:" + cmd.queue);
    call.queue.clear();
    enterQueue(call, cmd.queue);
    return Status::ok();
  }
  if (!cmd.staff_no.empty()) {
    TING_ASSIGN_OR_RETURN(AcdAgent * a, availableTarget(call, cmd.staff_no));
    // Offered like a queued call; unanswered, it goes back to the call's queue
    // (or the agent's first one).
    std::string key = call.queue;
    if (queues_.find(key) == queues_.end() && !a->queues.empty()) key = a->queues.front();
    auto qi = queues_.find(key);
    if (qi == queues_.end()) return conflict("agent " + cmd.staff_no + " is in no queue", "agent");
    dropAgent(call, "agent:" + cmd.staff_no);
    call.queue = key;
    call.acd_id = next_acd_id_++;
    call.joined = std::chrono::steady_clock::now();
    if (call.queued_at == 0) call.queued_at = clock_.nowMillis();
    acd_calls_[call.acd_id] = call.ref;
    const auto id = static_cast<acd::AgentId>(a->setup.user_id);
    (void)router_.agentBecameUnavailable(id);
    offer(acd::Offer{call.acd_id, {id}, 0}, *qi->second);
    musicOnHold(call);
    if (call.offers.empty()) dispatch(key);  // the phone was not there: back in the queue
    return Status::ok();
  }
  if (directory_.outboundTrunk(call.tenant_id, "") == std::nullopt) {
    return conflict("the tenant has no outbound trunk", "number").withReason("no_trunk");
  }
  dropAgent(call, "number:" + cmd.number);
  call.queue.clear();
  ivr::Transfer t;
  t.number = cmd.number;
  transfer(call, t);
  return Status::ok();
}

}  // namespace ting::calls
