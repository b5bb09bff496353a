#pragma once
// SLA policies and clocks. A policy (chosen by type, category, priority and
// VIP level; the first active match in position order) sets targets for
// first response, next update, resolution and follow-up, counted in business
// time on a calendar. Each running target is a clock: it warns at a share of
// its time, breaches at its due time and then escalates (notify, reassign)
// level by level. Clocks pause while the work order waits on the customer.
// A regulatory deadline (e.g. 15 days, extendable to 30, then 30 more with
// approval) is a clock of its own. Every step is an SLA event.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "workorders/business_calendar.h"
#include "workorders/settings.h"
#include "workorders/work_orders.h"

namespace ting::workorders {

struct Escalation {
  int after_minutes = 0;                // after the breach
  std::string action;                   // notify, reassign
  std::string role;                     // notify: who (team_lead, supervisor)
  std::optional<std::int64_t> user_id;  // reassign: to whom; notify: also whom
};

struct Regulatory {
  int days = 15;
  bool working_days = false;  // count on the policy's calendar
  int extend_to_days = 30;    // first extension (team lead)
  int extra_days = 30;        // second extension, with a supervisor's approval
};

struct SlaPolicy {
  std::int64_t id = 0;
  std::string name;
  int position = 0;
  bool active = true;
  std::string type;                         // "" matches any
  std::optional<std::int64_t> category_id;  // matches the category and below
  std::string priority;
  std::optional<int> min_vip_level;
  std::optional<std::int64_t> calendar_id;  // none: always open
  std::optional<int> first_response_min;
  std::optional<int> next_update_min;
  std::optional<int> resolution_min;
  std::optional<int> follow_up_min;
  int warn_percent = 80;
  std::vector<Escalation> escalations;
  std::optional<Regulatory> regulatory;
};

boost::json::object toJson(const SlaPolicy& p);
// A policy from a request body; fields named in errors. `base` for PATCH.
Result<SlaPolicy> policyFromJson(store::Session& s, std::int64_t tenant_id,
                                 const boost::json::object& body, SlaPolicy base);
Result<std::vector<SlaPolicy>> listPolicies(store::Session& s, std::int64_t tenant_id);
// Deferred: `out` is filled at the session's next round trip.
Status listPoliciesLater(store::Session& s, std::int64_t tenant_id, std::vector<SlaPolicy>& out);
Result<SlaPolicy> getPolicy(store::Session& s, std::int64_t tenant_id, std::int64_t id);
Result<SlaPolicy> savePolicy(store::Tx& tx, SlaPolicy p);  // id 0: create
Status deletePolicy(store::Tx& tx, std::int64_t id);

struct NamedCalendar {
  std::int64_t id = 0;
  std::string name;
  BusinessCalendar calendar;
};
boost::json::object toJson(const NamedCalendar& c);
Result<std::vector<NamedCalendar>> listCalendars(store::Session& s, std::int64_t tenant_id);
Result<NamedCalendar> getCalendar(store::Session& s, std::int64_t tenant_id, std::int64_t id);
Result<NamedCalendar> saveCalendar(store::Tx& tx, NamedCalendar c);  // id 0: create
Status deleteCalendar(store::Tx& tx, std::int64_t id);

// Clock kinds.
inline constexpr const char* kFirstResponse = "first_response";
inline constexpr const char* kNextUpdate = "next_update";
inline constexpr const char* kResolution = "resolution";
inline constexpr const char* kFollowUp = "follow_up";
inline constexpr const char* kRegulatory = "regulatory";
// The deadline a dispatch gives the department (department_due_at).
inline constexpr const char* kDepartment = "department";

// The clocks a new work order starts with (first response, resolution,
// regulatory), planned before it is written so it is written once.
struct PlannedClock {
  std::string kind;
  std::optional<std::int64_t> calendar_id;
  std::int64_t target_ms = 0;
  int warn_percent = 80;
  UnixMillis due_at = 0;
  UnixMillis warn_at = 0;
};
struct ClockPlan {
  std::vector<PlannedClock> clocks;
};
// Picks the policy of a new work order among the tenant's `policies` (sets
// w.sla_policy_id and w.sla_due_at) and plans its clocks; `categories` are
// the tenant's, for policies of a category and everything below it.
Result<ClockPlan> planClocks(store::Tx& tx, WorkOrder& w, int vip_level,
                             const std::vector<SlaPolicy>& policies,
                             const std::vector<Category>& categories);
// After a change of type, category, priority or customer: when another
// policy now applies, w's running and paused clocks (not the regulatory
// deadline) are cancelled and restarted under it, their targets counted from
// when each first started; the change is an SLA event (policy_changed).
Status replanClocks(store::Tx& tx, WorkOrder& w, int vip_level);
// Starts the planned clocks of w, once w is written.
Status startPlannedClocks(store::Tx& tx, const WorkOrder& w, const ClockPlan& plan);
// Starts one clock of w's policy (no-op when the policy has no such target).
Status startClock(store::Tx& tx, const WorkOrder& w, const std::string& kind);
// Starts the department's deadline of a dispatched work order: due at
// w.department_due_at (wall-clock time: the dispatcher chose the instant),
// warning at the policy's share of it (80% without a policy). None without a
// deadline.
Status startDepartmentClock(store::Tx& tx, const WorkOrder& w);
// Stops w's running or paused clocks of `kinds` as met (missed when already
// breached) or, with `cancel`, as cancelled.
Status stopClocks(store::Tx& tx, const WorkOrder& w, const std::vector<std::string>& kinds,
                  bool cancel = false);
Status pauseClocks(store::Tx& tx, const WorkOrder& w);
Status resumeClocks(store::Tx& tx, const WorkOrder& w);
// Writes w's nearest due time (sla_due_at) and breached flag.
Status refreshDue(store::Tx& tx, WorkOrder& w);
// Records an SLA event (clock 0: none; kClockJustInserted: the clock the
// previous insert of this transaction created). Deferred: it goes to the
// database with the transaction's next round trip.
inline constexpr std::int64_t kClockJustInserted = -1;
Status slaEvent(store::Tx& tx, std::int64_t work_order_id, std::int64_t clock_id,
                const std::string& clock, const std::string& kind, boost::json::object detail);

// Extends the regulatory deadline: the first extension to extend_to_days, the
// second by extra_days once a supervisor approved it (approved=true).
Status extendRegulatory(store::Tx& tx, const WorkOrder& w, const std::string& reason,
                        bool approved);
// Whether the next regulatory extension needs approval (it is the second).
Result<bool> regulatoryExtensionNeedsApproval(store::Session& s, const WorkOrder& w);

// The clocks and SLA events of a work order.
Result<boost::json::object> slaOf(store::Session& s, std::int64_t tenant_id, std::int64_t id);

// Looks at every clock whose next check is due: warns, breaches, escalates.
// Returns how many clocks it handled. Runs on the SLA thread (and in tests
// with a fake clock).
Result<int> sweepSla(store::Store& store, int limit = 500);

// Raises w's escalation level (rehandled too often, or by a breached clock).
Status escalate(store::Tx& tx, WorkOrder& w, int level, const std::string& reason,
                boost::json::object detail);

}  // namespace ting::workorders
