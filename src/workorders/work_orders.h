#pragma once
// Work orders (工单): a complaint, inquiry, suggestion or praise, from the
// moment an agent records it to its close. Every write goes through a
// store::Tx: the history row (before and after), the audit entry, SLA clocks
// (sla.h) and the WebSocket event commit together.

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "identity/role.h"
#include "store/store.h"
#include "workorders/lifecycle.h"

namespace ting::workorders {

struct WorkOrder {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string reference;  // C20261122-0042
  std::string type;       // complaint, inquiry, suggestion, praise
  std::optional<std::int64_t> category_id;
  std::string complainant_type;  // matter_of_fact, attitude, opinion; "" when not said
  std::string priority;          // low, normal, high, urgent
  std::string channel;           // phone, web, email, chat, letter, walk_in, social, other
  State state = State::kNew;
  std::string close_reason;  // resolved, unresolved, duplicate (closed only)
  std::optional<std::int64_t> customer_id;
  std::string subject;
  std::string description;
  std::string desired_remedy;
  std::optional<UnixMillis> promised_reply_at;
  std::optional<std::int64_t> owner_id;
  std::string department;
  std::optional<UnixMillis> department_due_at;
  std::string department_reply;
  bool waiting_on_customer = false;
  bool on_the_spot = false;
  std::string resolution;  // what the customer is told
  std::string unresolved_reason;
  std::string external_routes;
  std::optional<std::int64_t> duplicate_of;
  std::optional<std::int64_t> repeat_of;
  int rehandled = 0;
  int transfers = 0;
  int escalation_level = 0;
  std::optional<int> satisfaction;
  std::string satisfaction_comment;
  std::string follow_up_result;
  std::optional<std::int64_t> sla_policy_id;
  std::optional<UnixMillis> sla_due_at;  // the nearest running SLA clock
  bool sla_breached = false;
  std::optional<std::int64_t> created_by;
  UnixMillis created_at = 0;
  UnixMillis updated_at = 0;
  std::optional<UnixMillis> resolved_at;
  std::optional<UnixMillis> closed_at;
  int version = 1;
  std::vector<std::string> call_ids;  // linked calls (call refs)
};

// `state_names`: the tenant's display names ({"new": {"zh": ..., "en": ...}}).
boost::json::object toJson(const WorkOrder& w, const boost::json::object& state_names = {});

// Writable fields; unset ones keep their value on update.
struct WorkOrderFields {
  std::optional<std::string> type;
  std::optional<std::optional<std::int64_t>> category_id;
  std::optional<std::string> complainant_type;
  std::optional<std::string> priority;
  std::optional<std::string> channel;
  std::optional<std::optional<std::int64_t>> customer_id;
  std::optional<std::string> subject;
  std::optional<std::string> description;
  std::optional<std::string> desired_remedy;
  std::optional<std::optional<UnixMillis>> promised_reply_at;
  std::optional<std::optional<std::int64_t>> owner_id;
  std::optional<std::vector<std::string>> call_ids;  // replaces the links
  std::optional<int> expected_version;               // 409 when it moved on
};

inline constexpr std::size_t kMaxLinkedCalls = 50;

// What an action says (lifecycle.h lists which are required for which).
struct ActionInput {
  std::optional<UnixMillis> promised_reply_at;
  std::string solution;
  std::string remedy;
  std::optional<std::int64_t> compensation_cents;
  std::string reason;
  std::string department;
  std::optional<UnixMillis> department_due_at;
  std::string reply;
  std::string resolution;
  std::string result;
  std::optional<bool> reached;  // follow-up: was the customer reached
  std::optional<int> satisfaction;
  std::string comment;
  std::optional<std::int64_t> duplicate_of;
  std::string external_routes;
  std::optional<int> expected_version;
};

Result<WorkOrder> createWorkOrder(store::Tx& tx, const WorkOrderFields& fields);
// One work order of the tenant (kNotFound for other tenants').
Result<WorkOrder> getWorkOrder(store::Session& s, std::int64_t tenant_id, std::int64_t id);
Result<WorkOrder> getWorkOrderByReference(store::Session& s, std::int64_t tenant_id,
                                          const std::string& reference);
Result<WorkOrder> updateWorkOrder(store::Tx& tx, std::int64_t id, const WorkOrderFields& fields);
// Applies a lifecycle action for a user of `role`.
Result<WorkOrder> applyAction(store::Tx& tx, std::int64_t id, Action action,
                              const ActionInput& input, identity::Role role);
// Sets or clears "waiting on customer": SLA clocks pause while it is set.
Result<WorkOrder> setWaitingOnCustomer(store::Tx& tx, std::int64_t id, bool waiting);

// Notes: internal ones stay inside; customer-facing ones are what the
// customer was told (and count as an update for the next-update SLA).
struct Note {
  std::int64_t id = 0;
  std::int64_t work_order_id = 0;
  UnixMillis at = 0;
  std::optional<std::int64_t> author_id;
  std::string author;
  std::string visibility;  // internal, customer
  std::string body;
};
boost::json::object toJson(const Note& n);
Result<Note> addNote(store::Tx& tx, std::int64_t id, const std::string& visibility,
                     const std::string& body);
Result<std::vector<Note>> listNotes(store::Session& s, std::int64_t tenant_id, std::int64_t id,
                                    bool include_internal);

// The history: every change, who and when, with before and after.
Result<boost::json::array> history(store::Session& s, std::int64_t tenant_id, std::int64_t id);
Result<boost::json::array> proposals(store::Session& s, std::int64_t tenant_id, std::int64_t id);

struct WorkOrderFilter {
  std::vector<std::string> states;  // any of; empty: all
  bool open_only = false;
  std::string type;
  std::optional<std::int64_t> category_id;  // with its subcategories
  std::string priority;
  std::optional<std::int64_t> owner_id;
  bool unassigned = false;  // no owner
  std::optional<std::int64_t> customer_id;
  std::string department;
  std::optional<bool> repeat;
  std::optional<bool> breached;
  std::optional<bool> waiting;
  std::optional<UnixMillis> due_before;  // nearest SLA due before this
  std::optional<UnixMillis> created_since;
  std::optional<UnixMillis> created_until;
  std::string call_id;
  std::string q;  // substring of reference or subject
};
Result<store::Page> listWorkOrders(store::Session& s, std::int64_t tenant_id,
                                   const WorkOrderFilter& filter, const store::PageRequest& page);
Result<std::int64_t> countWorkOrders(store::Session& s, std::int64_t tenant_id,
                                     const WorkOrderFilter& filter);
Result<std::vector<WorkOrder>> workOrdersOf(store::Session& s, const store::Page& page);
// The department of a department-staff user ("" when none is set).
Result<std::string> departmentOf(store::Session& s, std::int64_t tenant_id, std::int64_t user_id);
// Whether that user may see `w`: it is dispatched to their department.
Result<bool> departmentSees(store::Session& s, const WorkOrder& w, std::int64_t user_id);

// The customer's open work orders (screen pop), newest first.
Result<std::vector<WorkOrder>> openWorkOrdersOf(store::Session& s, std::int64_t tenant_id,
                                                std::int64_t customer_id, int limit);

// Approvals: a remedy above the proposer's limit, or a second extension of a
// regulatory deadline, waits for a team lead or supervisor (required_role
// and above; never the requester). Decisions are audited.
Result<boost::json::array> listApprovals(store::Session& s, std::int64_t tenant_id,
                                         const std::string& status,
                                         std::optional<std::int64_t> work_order_id);
// Asks for the second regulatory extension; the approval's JSON.
Result<boost::json::object> requestRegulatoryExtension(store::Tx& tx, std::int64_t id,
                                                       const std::string& reason);
Result<boost::json::object> decideApproval(store::Tx& tx, std::int64_t approval_id, bool approve,
                                           const std::string& reason, identity::Role role);

// Lower level, for the SLA code: writes every field of `after` (version
// bumped) and a history row of what changed since `before`.
Status saveWorkOrder(store::Tx& tx, const WorkOrder& before, WorkOrder& after,
                     const std::string& action, boost::json::object detail = {});

// The reference of the n-th work order of a local day: C20261122-0042.
std::string formatReference(const std::string& type, std::int64_t civil_day, std::int64_t n);

}  // namespace ting::workorders
