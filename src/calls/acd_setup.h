#pragma once
// What call control needs to know about queues and agents: loaded from the
// store by the server (queues, queue_members, agent_skills, users, tenants)
// and applied to the running ACD with CallControl::applyAcd().

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "acd/agent_state.h"
#include "acd/router.h"
#include "common/status.h"
#include "store/database.h"

namespace ting::calls {

// What happens to a caller who waited a queue's max_wait_s.
enum class Overflow {
  kFallback,  // the IVR transfer node's fallback (a message node, another menu)
  kQueue,     // another queue of the tenant (overflow_queue)
  kCallback,  // the caller keeps their place as a queued callback
  kHangup,    // an apology, then hang up
};

const char* overflowName(Overflow overflow);
std::optional<Overflow> parseOverflow(std::string_view name);

// Queue and skill names: 1-64 of A-Z a-z 0-9 _ - (the IVR's rule for names).
bool isAcdName(std::string_view name);

// A queue's required skills as stored and sent through the API:
// [{"skill": "billing", "steps": [{"after_seconds": 0, "min_level": 4},
//                                 {"after_seconds": 30, "min_level": 2}]}]
// Levels 1-5, steps in ascending after_seconds, at most 8 skills of 8 steps;
// kInvalidValue naming the problem otherwise.
Result<std::vector<acd::SkillRequirement>> parseQueueSkills(std::string_view json);
std::string queueSkillsJson(const std::vector<acd::SkillRequirement>& skills);

// What one call needs on top of its queue's skills, as an IVR variable
// `skills` holds it: "english:4,billing" (level 1-5, default 1), at most 8
// skills. kInvalidValue naming the problem otherwise.
Result<std::vector<acd::SkillRequirement>> parseCallSkills(std::string_view text);
// The queue's requirements with the call's: a skill the call names replaces
// the queue's requirement for it (a fixed minimum level), others are added.
std::vector<acd::SkillRequirement> withCallSkills(std::vector<acd::SkillRequirement> queue,
                                                  const std::vector<acd::SkillRequirement>& call);

struct QueueSetup {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string name;
  std::string display_name;
  acd::Strategy strategy = acd::Strategy::kLongestIdle;
  int offer_timeout_s = 20;  // an unanswered offer moves on after this
  int wrap_up_s = 10;        // after-call work of the queue's calls
  int max_wait_s = 600;      // then the overflow action
  Overflow overflow = Overflow::kFallback;
  std::string overflow_queue;
  bool join_empty = false;   // callers may join while no member is logged in
  bool leave_empty = true;   // waiting callers leave when the last member logs out
  int announce_interval_s = 30;  // position and wait again every so often; 0: on entry only
  std::string callback_key;      // a key that turns the wait into a queued callback; "": none
  int abandon_return_s = 300;    // a caller back within this keeps their old place
  bool announce_staff_no = false;  // 报工号: tell the caller the agent's staff number
  bool survey = false;             // satisfaction IVR after the agent hangs up
  // Queued callbacks: how often Ting dials a customer who does not answer,
  // and how long the callback waits (at its place) between tries.
  int callback_attempts = 3;
  int callback_retry_s = 120;
  // skills_based queues: what every call of the queue requires.
  std::vector<acd::SkillRequirement> skills;
  struct Member {
    std::int64_t user_id = 0;
    int tier = 0;
  };
  std::vector<Member> members;  // in member order
};

struct AgentSetup {
  std::int64_t user_id = 0;
  std::int64_t tenant_id = 0;
  std::string staff_no;  // the agent's username, said by 报工号
  std::string display_name;
  std::string sip_extension;  // "" when the agent has no phone
  std::map<std::string, int> skills;
};

struct TenantAcdPolicy {
  std::int64_t tenant_id = 0;
  acd::AgentPolicy policy;
};

struct AcdSetup {
  std::vector<QueueSetup> queues;
  std::vector<AgentSetup> agents;
  std::vector<TenantAcdPolicy> policies;
};

// The columns queueFromRow() reads, `id` first: "SELECT " + kQueueColumns + " FROM queues".
inline constexpr const char* kQueueColumns =
    "id, tenant_id, name, display_name, strategy, offer_timeout_s, wrap_up_s, max_wait_s, "
    "overflow_action, overflow_queue, join_empty, leave_empty, announce_interval_s, "
    "callback_key, abandon_return_s, announce_staff_no, survey, skills, callback_attempts, "
    "callback_retry_s";
// A queue as stored (members not included). Unknown strategies or overflow
// actions read as the defaults; unreadable skills as none, with a warning.
QueueSetup queueFromRow(const store::Row& row);

// An agent's state as the API shows it.
struct AgentStateView {
  std::string staff_no;
  std::string state;   // logged_out, available, ringing, on_call, wrap_up, not_ready
  std::string reason;  // the not_ready reason code
  UnixMillis since = 0;
  std::string call_id;                    // ringing or talking
  UnixMillis wrap_up_ends_at = 0;         // in wrap_up
  std::vector<std::string> queues;
  std::int64_t calls_handled = 0;
};

}  // namespace ting::calls
