#include "workorders/work_orders.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <limits>

#include "store/store.h"
#include "workorders/business_calendar.h"
#include "workorders/settings.h"
#include "workorders/sla.h"

namespace ting::workorders {

using identity::Role;

namespace {

constexpr const char* kColumns =
    "id, tenant_id, reference, type, category_id, complainant_type, priority, channel, state, "
    "close_reason, customer_id, subject, description, desired_remedy, promised_reply_at, "
    "owner_id, department, department_due_at, department_reply, waiting_on_customer, "
    "on_the_spot, resolution, unresolved_reason, external_routes, duplicate_of, repeat_of, "
    "rehandled, transfers, escalation_level, satisfaction, satisfaction_comment, "
    "follow_up_result, sla_policy_id, sla_due_at, sla_breached, created_by, created_at, "
    "updated_at, resolved_at, closed_at, version";

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kNoDue = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t kMaxText = 20'000;

std::optional<std::int64_t> optCol(const store::Row& r, size_t i) {
  return r.isNull(i) ? std::nullopt : std::optional<std::int64_t>(r.integer(i));
}
boost::json::value optJson(const std::optional<std::int64_t>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}
boost::json::value textJson(const std::string& s) {
  return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
}
boost::json::value timeJson(const std::optional<UnixMillis>& t) {
  return t ? boost::json::value(formatTimestamp(*t)) : boost::json::value(nullptr);
}

WorkOrder fromRow(const store::Row& r) {
  WorkOrder w;
  w.id = r.integer(0);
  w.tenant_id = r.integer(1);
  w.reference = r.text(2);
  w.type = r.text(3);
  w.category_id = optCol(r, 4);
  w.complainant_type = r.text(5);
  w.priority = r.text(6);
  w.channel = r.text(7);
  w.state = parseState(r.text(8)).value_or(State::kNew);
  w.close_reason = r.text(9);
  w.customer_id = optCol(r, 10);
  w.subject = r.text(11);
  w.description = r.text(12);
  w.desired_remedy = r.text(13);
  w.promised_reply_at = optCol(r, 14);
  w.owner_id = optCol(r, 15);
  w.department = r.text(16);
  w.department_due_at = optCol(r, 17);
  w.department_reply = r.text(18);
  w.waiting_on_customer = r.integer(19) != 0;
  w.on_the_spot = r.integer(20) != 0;
  w.resolution = r.text(21);
  w.unresolved_reason = r.text(22);
  w.external_routes = r.text(23);
  w.duplicate_of = optCol(r, 24);
  w.repeat_of = optCol(r, 25);
  w.rehandled = static_cast<int>(r.integer(26));
  w.transfers = static_cast<int>(r.integer(27));
  w.escalation_level = static_cast<int>(r.integer(28));
  if (!r.isNull(29)) w.satisfaction = static_cast<int>(r.integer(29));
  w.satisfaction_comment = r.text(30);
  w.follow_up_result = r.text(31);
  w.sla_policy_id = optCol(r, 32);
  if (r.integer(33) != kNoDue) w.sla_due_at = r.integer(33);
  w.sla_breached = r.integer(34) != 0;
  w.created_by = optCol(r, 35);
  w.created_at = r.integer(36);
  w.updated_at = r.integer(37);
  w.resolved_at = optCol(r, 38);
  w.closed_at = optCol(r, 39);
  w.version = static_cast<int>(r.integer(40));
  return w;
}

template <std::size_t N>
std::string optionList(const char* const (&options)[N]) {
  std::string out;
  for (const char* o : options) out += (out.empty() ? "" : ", ") + std::string(o);
  return out;
}

Status checkText(const std::string& v, const std::string& field, std::size_t max,
                 bool required = false) {
  if (required && v.empty()) return invalidValue(field + " is required", field);
  if (v.size() > max) {
    return invalidValue(field + " must be at most " + std::to_string(max) + " bytes", field);
  }
  return Status::ok();
}

// Checks that the ids a request names exist in the tenant, all in one round
// trip: each is deferred, then verify() after the session's next one.
class TenantChecks {
 public:
  TenantChecks(store::Session& s, std::int64_t tenant_id) : s_(s), tenant_id_(tenant_id) {}

  Status add(const char* table, std::int64_t id, std::string field, std::string what) {
    Check& c = checks_.emplace_back(Check{std::move(field), std::move(what)});
    return s_.defer(std::string("SELECT id FROM ") + table + " WHERE tenant_id = ? AND id = ?",
                    {tenant_id_, id}, [&c](store::Rows& rows) { c.found = !rows.empty(); });
  }
  // The first id not found, in the order added.
  Status verify() const {
    for (const auto& c : checks_) {
      if (!c.found) return invalidValue("no such " + c.what + " in your tenant", c.field);
    }
    return Status::ok();
  }

 private:
  struct Check {
    std::string field;
    std::string what;
    bool found = false;
  };
  store::Session& s_;
  std::int64_t tenant_id_;
  std::deque<Check> checks_;  // stable addresses for the callbacks
};

// Validates and applies f; the ids it names are checked through `checks`.
Status applyFieldsLater(WorkOrder& w, const WorkOrderFields& f, TenantChecks& checks) {
  if (f.type) {
    if (!oneOf(*f.type, kTypes)) return invalidValue("type must be " + optionList(kTypes), "type");
    w.type = *f.type;
  }
  if (f.complainant_type) {
    if (!f.complainant_type->empty() && !oneOf(*f.complainant_type, kComplainantTypes)) {
      return invalidValue("complainant_type must be " + optionList(kComplainantTypes),
                          "complainant_type");
    }
    w.complainant_type = *f.complainant_type;
  }
  if (f.priority) {
    if (!oneOf(*f.priority, kPriorities)) {
      return invalidValue("priority must be " + optionList(kPriorities), "priority");
    }
    w.priority = *f.priority;
  }
  if (f.channel) {
    if (!oneOf(*f.channel, kChannels)) {
      return invalidValue("channel must be " + optionList(kChannels), "channel");
    }
    w.channel = *f.channel;
  }
  if (f.category_id) {
    if (*f.category_id) {
      TING_RETURN_IF_ERROR(
          checks.add("work_order_categories", **f.category_id, "category_id", "category"));
    }
    w.category_id = *f.category_id;
  }
  if (f.customer_id) {
    if (*f.customer_id) {
      TING_RETURN_IF_ERROR(checks.add("customers", **f.customer_id, "customer_id", "customer"));
    }
    w.customer_id = *f.customer_id;
  }
  if (f.owner_id) {
    if (*f.owner_id) {
      TING_RETURN_IF_ERROR(checks.add("users", **f.owner_id, "owner_id", "user"));
    }
    w.owner_id = *f.owner_id;
  }
  if (f.subject) {
    TING_RETURN_IF_ERROR(checkText(*f.subject, "subject", 400, true));
    w.subject = *f.subject;
  }
  if (f.description) {
    TING_RETURN_IF_ERROR(checkText(*f.description, "description", kMaxText));
    w.description = *f.description;
  }
  if (f.desired_remedy) {
    TING_RETURN_IF_ERROR(checkText(*f.desired_remedy, "desired_remedy", 4000));
    w.desired_remedy = *f.desired_remedy;
  }
  if (f.promised_reply_at) w.promised_reply_at = *f.promised_reply_at;
  if (w.type != "complaint" && !w.complainant_type.empty()) {
    return invalidValue("only complaints have a complainant_type", "complainant_type");
  }
  return Status::ok();
}

Status applyFields(store::Tx& tx, WorkOrder& w, const WorkOrderFields& f) {
  TenantChecks checks(tx.session(), tx.actor().tenant_id);
  TING_RETURN_IF_ERROR(applyFieldsLater(w, f, checks));
  TING_RETURN_IF_ERROR(tx.session().flush());
  return checks.verify();
}

Status linkCalls(store::Tx& tx, WorkOrder& w, const std::vector<std::string>& calls) {
  if (calls.size() > kMaxLinkedCalls) {
    return invalidValue("at most 50 linked calls", "call_ids");
  }
  std::vector<std::string> unique;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const std::string field = "call_ids[" + std::to_string(i) + "]";
    TING_ASSIGN_OR_RETURN(store::Rows rows,
                          tx.session().query("SELECT id FROM calls WHERE tenant_id = ? AND "
                                             "call_ref = ?",
                                             {w.tenant_id, calls[i]}));
    if (rows.empty()) return invalidValue("no such call in your tenant", field);
    if (std::find(unique.begin(), unique.end(), calls[i]) == unique.end()) {
      unique.push_back(calls[i]);
    }
  }
  TING_RETURN_IF_ERROR(
      tx.session().defer("DELETE FROM work_order_calls WHERE work_order_id = ?", {w.id}));
  for (const auto& c : unique) {
    TING_RETURN_IF_ERROR(tx.session().defer(
        "INSERT INTO work_order_calls (tenant_id, work_order_id, call_ref, linked_at) VALUES (?, "
        "?, ?, ?)",
        {w.tenant_id, w.id, c, tx.now()}));
    // A call the screen pop could not pin on one customer (nobody, or
    // several) belongs to the work order's customer from now on, so it shows
    // in their timeline.
    if (w.customer_id) {
      TING_RETURN_IF_ERROR(tx.session().defer(
          "UPDATE calls SET customer_id = ? WHERE tenant_id = ? AND call_ref = ? AND customer_id "
          "IS NULL",
          {*w.customer_id, w.tenant_id, c}));
    }
  }
  w.call_ids = std::move(unique);
  return Status::ok();
}

Status loadCalls(store::Session& s, WorkOrder& w) {
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query("SELECT call_ref FROM work_order_calls WHERE work_order_id = ? "
                                "ORDER BY linked_at, call_ref",
                                {w.id}));
  w.call_ids.clear();
  for (const auto& r : rows) w.call_ids.push_back(r.text(0));
  return Status::ok();
}

Status checkVersion(const WorkOrder& w, const std::optional<int>& expected) {
  if (expected && *expected != w.version) {
    return conflict("the work order changed meanwhile (version " + std::to_string(w.version) +
                        "); reload it",
                    "version")
        .withReason("version_mismatch");
  }
  return Status::ok();
}

// The fields that differ, {"field": [before, after]}.
boost::json::object changes(const WorkOrder& before, const WorkOrder& after) {
  const boost::json::object a = toJson(before);
  const boost::json::object b = toJson(after);
  boost::json::object out;
  for (const auto& [k, v] : b) {
    if (k == "version" || k == "updated_at" || k == "state_name") continue;
    auto it = a.find(k);
    const boost::json::value old = it == a.end() ? boost::json::value(nullptr) : it->value();
    if (old != v) out[k] = boost::json::array{old, v};
  }
  return out;
}

void emitChange(store::Tx& tx, const WorkOrder& w, const std::string& name) {
  tx.emit({"work_orders", "work_order." + name, w.tenant_id, 0, boost::json::serialize(toJson(w))});
}

Result<std::int64_t> nextNumber(store::Tx& tx, std::int64_t day) {
  // Reserved on its own (see store::Session::queryAutonomous): concurrent
  // creates do not queue on the day's counter row until each commits.
  TING_ASSIGN_OR_RETURN(
      store::Rows rows,
      tx.session().queryAutonomous("INSERT INTO work_order_counters (tenant_id, day, last) VALUES "
                                   "(?, ?, 1) ON CONFLICT (tenant_id, day) DO UPDATE SET last = "
                                   "work_order_counters.last + 1 RETURNING last",
                                   {tx.actor().tenant_id, day}));
  if (rows.empty()) return internalError("work-order counter returned nothing");
  return rows[0].integer(0);
}

Result<int> customerVipLevel(store::Session& s, const WorkOrder& w) {
  if (!w.customer_id) return 0;
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query("SELECT vip_level FROM customers WHERE tenant_id = ? AND id = ?",
                                {w.tenant_id, *w.customer_id}));
  return rows.empty() ? 0 : static_cast<int>(rows[0].integer(0));
}

// The latest proposal still open (offered or waiting for approval).
Result<std::optional<store::Row>> openProposal(store::Session& s, std::int64_t id) {
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query("SELECT id, status, compensation_cents FROM "
                                "work_order_proposals WHERE work_order_id = ? AND status IN "
                                "('offered', 'pending_approval') ORDER BY id DESC LIMIT 1",
                                {id}));
  if (rows.empty()) return std::optional<store::Row>();
  return std::optional<store::Row>(rows[0]);
}

Status requireFields(Action action, const ActionInput& in) {
  for (std::string_view f : ruleFor(action).required) {
    bool present = true;
    if (f == "promised_reply_at") present = in.promised_reply_at.has_value();
    if (f == "solution") present = !in.solution.empty();
    if (f == "reason") present = !in.reason.empty();
    if (f == "department") present = !in.department.empty();
    if (f == "reply") present = !in.reply.empty();
    if (f == "resolution") present = !in.resolution.empty();
    if (f == "result") present = !in.result.empty();
    if (f == "duplicate_of") present = in.duplicate_of.has_value();
    if (!present) {
      return invalidValue(std::string(f) + " is required to " + std::string(actionName(action)),
                          std::string(f));
    }
  }
  TING_RETURN_IF_ERROR(checkText(in.solution, "solution", kMaxText));
  TING_RETURN_IF_ERROR(checkText(in.remedy, "remedy", 4000));
  TING_RETURN_IF_ERROR(checkText(in.reason, "reason", kMaxText));
  TING_RETURN_IF_ERROR(checkText(in.department, "department", 100));
  TING_RETURN_IF_ERROR(checkText(in.reply, "reply", kMaxText));
  TING_RETURN_IF_ERROR(checkText(in.resolution, "resolution", kMaxText));
  TING_RETURN_IF_ERROR(checkText(in.result, "result", kMaxText));
  TING_RETURN_IF_ERROR(checkText(in.comment, "comment", 4000));
  TING_RETURN_IF_ERROR(checkText(in.external_routes, "external_routes", 4000));
  if (in.compensation_cents && (*in.compensation_cents < 0 || *in.compensation_cents > 1e12)) {
    return invalidValue("compensation_cents must be from 0", "compensation_cents");
  }
  if (in.satisfaction && (*in.satisfaction < 1 || *in.satisfaction > 5)) {
    return invalidValue("satisfaction must be 1-5", "satisfaction");
  }
  return Status::ok();
}

// Handled once more (sent back, dispatched again, reopened): escalated at the
// tenant's threshold.
Status countRehandled(store::Tx& tx, WorkOrder& w, const Settings& settings) {
  w.rehandled += 1;
  // At the threshold and at each time after it, one level higher.
  if (settings.rehandle_escalation > 0 && w.rehandled >= settings.rehandle_escalation) {
    return escalate(tx, w, std::max(w.escalation_level + 1, 1), "rehandled",
                    {{"rehandled", w.rehandled}});
  }
  return Status::ok();
}

Status followUpCallback(store::Tx& tx, const WorkOrder& w) {
  if (!w.customer_id) {
    return invalidValue("a follow-up needs the work order's customer, to call back", "customer_id");
  }
  TING_ASSIGN_OR_RETURN(store::Rows phones,
                        tx.session().query("SELECT number FROM customer_phones WHERE "
                                           "customer_id = ? ORDER BY position LIMIT 1",
                                           {*w.customer_id}));
  if (phones.empty()) {
    return invalidValue("the customer has no number to call back", "customer_id");
  }
  return tx.session().exec(
      "INSERT INTO callback_requests (tenant_id, number, source, status, created_at, updated_at, "
      "work_order_id, detail) VALUES (?, ?, 'follow_up', 'open', ?, ?, ?, ?)",
      {w.tenant_id, phones[0].text(0), tx.now(), tx.now(), w.id, "follow-up of " + w.reference});
}

Status approvalRequest(store::Tx& tx, const WorkOrder& w, std::int64_t proposal_id,
                       std::int64_t amount, const Settings& settings) {
  const std::int64_t lead = remedyLimit(settings, Role::kTeamLead);
  const std::string required = (lead < 0 || amount <= lead) ? "team_lead" : "supervisor";
  TING_ASSIGN_OR_RETURN(
      store::Row row,
      tx.session().queryOne(
          "INSERT INTO approvals (tenant_id, work_order_id, kind, subject_id, amount_cents, "
          "required_role, status, requested_by, requested_at) VALUES (?, ?, 'remedy', ?, ?, ?, "
          "'pending', ?, ?) RETURNING id",
          {w.tenant_id, w.id, proposal_id, amount, required,
           tx.actor().user_id ? store::Value(tx.actor().user_id) : store::nullValue(), tx.now()}));
  TING_RETURN_IF_ERROR(tx.audit(
      {.entity = "approval",
       .entity_id = std::to_string(row.integer(0)),
       .action = "request",
       .after_json = boost::json::serialize(boost::json::object{{"work_order_id", w.id},
                                                                {"kind", "remedy"},
                                                                {"amount_cents", amount},
                                                                {"required_role", required}})}));
  tx.emit({"work_orders", "approval.requested", w.tenant_id, 0,
           boost::json::serialize(boost::json::object{{"id", row.integer(0)},
                                                      {"work_order_id", w.id},
                                                      {"reference", w.reference},
                                                      {"amount_cents", amount},
                                                      {"required_role", required}})});
  return Status::ok();
}

}  // namespace

std::string formatReference(const std::string& type, std::int64_t civil_day, std::int64_t n) {
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm, public domain).
  std::int64_t z = civil_day + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const char prefix = type == "inquiry"      ? 'Q'
                      : type == "suggestion" ? 'S'
                      : type == "praise"     ? 'P'
                                             : 'C';
  return fmt::format("{}{:04}{:02}{:02}-{:04}", prefix, y, m, d, n);
}

boost::json::object toJson(const WorkOrder& w, const boost::json::object& state_names) {
  boost::json::array calls;
  for (const auto& c : w.call_ids) calls.push_back(boost::json::string(c));
  boost::json::value state_name = nullptr;
  const std::string state(stateName(w.state));
  if (auto it = state_names.find(state); it != state_names.end()) {
    state_name = it->value();
  } else if (auto d = defaultStateNames().find(state); d != defaultStateNames().end()) {
    state_name = d->value();
  }
  return {{"id", w.id},
          {"reference", w.reference},
          {"type", w.type},
          {"category_id", optJson(w.category_id)},
          {"complainant_type", textJson(w.complainant_type)},
          {"priority", w.priority},
          {"channel", w.channel},
          {"state", state},
          {"state_name", state_name},
          {"close_reason", textJson(w.close_reason)},
          {"customer_id", optJson(w.customer_id)},
          {"subject", w.subject},
          {"description", w.description},
          {"desired_remedy", textJson(w.desired_remedy)},
          {"promised_reply_at", timeJson(w.promised_reply_at)},
          {"owner_id", optJson(w.owner_id)},
          {"department", textJson(w.department)},
          {"department_due_at", timeJson(w.department_due_at)},
          {"department_reply", textJson(w.department_reply)},
          {"waiting_on_customer", w.waiting_on_customer},
          {"on_the_spot", w.on_the_spot},
          {"resolution", textJson(w.resolution)},
          {"unresolved_reason", textJson(w.unresolved_reason)},
          {"external_routes", textJson(w.external_routes)},
          {"duplicate_of", optJson(w.duplicate_of)},
          {"repeat_of", optJson(w.repeat_of)},
          {"repeat", w.repeat_of.has_value()},
          {"rehandled", w.rehandled},
          {"transfers", w.transfers},
          {"escalation_level", w.escalation_level},
          {"satisfaction", w.satisfaction ? boost::json::value(*w.satisfaction) : nullptr},
          {"satisfaction_comment", textJson(w.satisfaction_comment)},
          {"follow_up_result", textJson(w.follow_up_result)},
          {"sla_policy_id", optJson(w.sla_policy_id)},
          {"sla_due_at", timeJson(w.sla_due_at)},
          {"sla_breached", w.sla_breached},
          {"call_ids", std::move(calls)},
          {"created_by", optJson(w.created_by)},
          {"created_at", formatTimestamp(w.created_at)},
          {"updated_at", formatTimestamp(w.updated_at)},
          {"resolved_at", timeJson(w.resolved_at)},
          {"closed_at", timeJson(w.closed_at)},
          {"version", w.version}};
}

Status saveWorkOrder(store::Tx& tx, const WorkOrder& before, WorkOrder& w,
                     const std::string& action, boost::json::object detail) {
  w.version = before.version + 1;
  w.updated_at = tx.now();
  TING_RETURN_IF_ERROR(tx.session().defer(
      "UPDATE work_orders SET type = ?, category_id = ?, complainant_type = ?, priority = ?, "
      "channel = ?, state = ?, close_reason = ?, customer_id = ?, subject = ?, description = ?, "
      "desired_remedy = ?, promised_reply_at = ?, owner_id = ?, department = ?, "
      "department_due_at = ?, department_reply = ?, waiting_on_customer = ?, on_the_spot = ?, "
      "resolution = ?, unresolved_reason = ?, external_routes = ?, duplicate_of = ?, "
      "repeat_of = ?, rehandled = ?, transfers = ?, escalation_level = ?, satisfaction = ?, "
      "satisfaction_comment = ?, follow_up_result = ?, resolved_at = ?, closed_at = ?, "
      "updated_at = ?, version = ? WHERE id = ? AND tenant_id = ?",
      {w.type,
       store::intOrNull(w.category_id),
       store::textOrNull(w.complainant_type),
       w.priority,
       w.channel,
       std::string(stateName(w.state)),
       store::textOrNull(w.close_reason),
       store::intOrNull(w.customer_id),
       w.subject,
       store::textOrNull(w.description),
       store::textOrNull(w.desired_remedy),
       store::intOrNull(w.promised_reply_at),
       store::intOrNull(w.owner_id),
       store::textOrNull(w.department),
       store::intOrNull(w.department_due_at),
       store::textOrNull(w.department_reply),
       std::int64_t{w.waiting_on_customer ? 1 : 0},
       std::int64_t{w.on_the_spot ? 1 : 0},
       store::textOrNull(w.resolution),
       store::textOrNull(w.unresolved_reason),
       store::textOrNull(w.external_routes),
       store::intOrNull(w.duplicate_of),
       store::intOrNull(w.repeat_of),
       std::int64_t{w.rehandled},
       std::int64_t{w.transfers},
       std::int64_t{w.escalation_level},
       w.satisfaction ? store::Value(std::int64_t{*w.satisfaction}) : store::nullValue(),
       store::textOrNull(w.satisfaction_comment),
       store::textOrNull(w.follow_up_result),
       store::intOrNull(w.resolved_at),
       store::intOrNull(w.closed_at),
       w.updated_at,
       std::int64_t{w.version},
       w.id,
       w.tenant_id}));
  boost::json::object diff = changes(before, w);
  if (!detail.empty()) diff["detail"] = std::move(detail);
  return tx.session().defer(
      "INSERT INTO work_order_history (tenant_id, work_order_id, at, actor_id, actor, action, "
      "from_state, to_state, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {w.tenant_id, w.id, tx.now(),
       tx.actor().user_id ? store::Value(tx.actor().user_id) : store::nullValue(), tx.actor().name,
       action, std::string(stateName(before.state)), std::string(stateName(w.state)),
       boost::json::serialize(diff)});
}

Result<WorkOrder> createWorkOrder(store::Tx& tx, const WorkOrderFields& fields) {
  const std::int64_t tenant = tx.actor().tenant_id;
  store::Session& s = tx.session();
  WorkOrder w;
  w.tenant_id = tenant;
  w.type = "complaint";
  w.priority = "normal";
  w.channel = "phone";
  if (tx.actor().user_id) w.owner_id = tx.actor().user_id;
  // Everything a create reads goes to the database in one round trip: the
  // ids the request names, the tenant's settings, SLA policies and
  // categories, the customer's VIP level and their latest work order of the
  // same category (a repeat).
  TenantChecks checks(s, tenant);
  TING_RETURN_IF_ERROR(applyFieldsLater(w, fields, checks));
  if (w.subject.empty()) return invalidValue("subject is required", "subject");
  Settings settings;
  std::vector<SlaPolicy> policies;
  std::vector<Category> categories;
  TING_RETURN_IF_ERROR(loadSettingsLater(s, tenant, settings));
  TING_RETURN_IF_ERROR(listPoliciesLater(s, tenant, policies));
  if (w.category_id) TING_RETURN_IF_ERROR(listCategoriesLater(s, tenant, categories));
  int vip = 0;
  std::optional<std::int64_t> latest_id;
  UnixMillis latest_at = 0;
  if (w.customer_id) {
    TING_RETURN_IF_ERROR(s.defer("SELECT vip_level FROM customers WHERE tenant_id = ? AND id = ?",
                                 {tenant, *w.customer_id}, [&vip](store::Rows& rows) {
                                   if (!rows.empty()) vip = static_cast<int>(rows[0].integer(0));
                                 }));
    if (w.category_id) {
      TING_RETURN_IF_ERROR(s.defer(
          "SELECT id, created_at FROM work_orders WHERE tenant_id = ? AND customer_id = ? AND "
          "category_id = ? ORDER BY created_at DESC, id DESC LIMIT 1",
          {tenant, *w.customer_id, *w.category_id}, [&](store::Rows& rows) {
            if (rows.empty()) return;
            latest_id = rows[0].integer(0);
            latest_at = rows[0].integer(1);
          }));
    }
  }
  TING_RETURN_IF_ERROR(s.flush());
  TING_RETURN_IF_ERROR(checks.verify());
  const std::int64_t day = localDayIn(settings.time_zone, tx.now());
  w.created_at = w.updated_at = tx.now();
  if (tx.actor().user_id) w.created_by = tx.actor().user_id;
  // A repeat: the same customer and category within the tenant's window.
  if (latest_id && latest_at >= tx.now() - settings.repeat_window_days * kDay) {
    w.repeat_of = latest_id;
  }
  TING_ASSIGN_OR_RETURN(ClockPlan plan, planClocks(tx, w, vip, policies, categories));
  // Numbered once everything is checked: a create that fails after this
  // leaves a gap in the day's references on PostgreSQL.
  TING_ASSIGN_OR_RETURN(std::int64_t n, nextNumber(tx, day));
  w.reference = formatReference(w.type, day, n);
  TING_ASSIGN_OR_RETURN(
      store::Row row,
      tx.session().queryOne(
          "INSERT INTO work_orders (tenant_id, reference, type, category_id, complainant_type, "
          "priority, channel, state, customer_id, subject, description, desired_remedy, "
          "promised_reply_at, owner_id, repeat_of, created_by, created_at, updated_at, "
          "sla_policy_id, sla_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, "
          "?, ?, ?, ?, ?) RETURNING id",
          {tenant, w.reference, w.type, store::intOrNull(w.category_id),
           store::textOrNull(w.complainant_type), w.priority, w.channel,
           store::intOrNull(w.customer_id), w.subject, store::textOrNull(w.description),
           store::textOrNull(w.desired_remedy), store::intOrNull(w.promised_reply_at),
           store::intOrNull(w.owner_id), store::intOrNull(w.repeat_of),
           store::intOrNull(w.created_by), w.created_at, w.updated_at,
           store::intOrNull(w.sla_policy_id), w.sla_due_at.value_or(kNoDue)}));
  w.id = row.integer(0);
  if (fields.call_ids) TING_RETURN_IF_ERROR(linkCalls(tx, w, *fields.call_ids));
  TING_RETURN_IF_ERROR(startPlannedClocks(tx, w, plan));
  TING_RETURN_IF_ERROR(tx.session().defer(
      "INSERT INTO work_order_history (tenant_id, work_order_id, at, actor_id, actor, action, "
      "to_state, changes) VALUES (?, ?, ?, ?, ?, 'create', 'new', ?)",
      {tenant, w.id, tx.now(),
       tx.actor().user_id ? store::Value(tx.actor().user_id) : store::nullValue(), tx.actor().name,
       boost::json::serialize(boost::json::object{{"repeat_of", optJson(w.repeat_of)},
                                                  {"sla_policy_id", optJson(w.sla_policy_id)}})}));
  const std::string after = boost::json::serialize(toJson(w));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "work_order",
                                 .entity_id = std::to_string(w.id),
                                 .action = "create",
                                 .after_json = after}));
  tx.emit({"work_orders", "work_order.created", tenant, 0, after});
  if (w.repeat_of) emitChange(tx, w, "repeat");
  return w;
}

Result<WorkOrder> getWorkOrder(store::Session& s, std::int64_t tenant_id, std::int64_t id) {
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query(std::string("SELECT ") + kColumns +
                                    " FROM work_orders WHERE tenant_id = ? AND id = ?",
                                {tenant_id, id}));
  if (rows.empty()) return notFound("no such work order");
  WorkOrder w = fromRow(rows[0]);
  TING_RETURN_IF_ERROR(loadCalls(s, w));
  return w;
}

Result<WorkOrder> getWorkOrderByReference(store::Session& s, std::int64_t tenant_id,
                                          const std::string& reference) {
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query("SELECT id FROM work_orders WHERE tenant_id = ? AND reference = ?",
                                {tenant_id, reference}));
  if (rows.empty()) return notFound("no such work order");
  return getWorkOrder(s, tenant_id, rows[0].integer(0));
}

Result<WorkOrder> updateWorkOrder(store::Tx& tx, std::int64_t id, const WorkOrderFields& fields) {
  TING_ASSIGN_OR_RETURN(WorkOrder w, getWorkOrder(tx.session(), tx.actor().tenant_id, id));
  TING_RETURN_IF_ERROR(checkVersion(w, fields.expected_version));
  if (!isOpen(w.state)) {
    return conflict("a closed work order cannot be edited; reopen it first", "state")
        .withReason("closed");
  }
  const WorkOrder before = w;
  TING_RETURN_IF_ERROR(applyFields(tx, w, fields));
  if (fields.call_ids) TING_RETURN_IF_ERROR(linkCalls(tx, w, *fields.call_ids));
  // The customer or category filled in after the call: a repeat is flagged
  // as it would have been at creation (an earlier work order of the same
  // customer and category within the window before this one was created).
  bool repeat_found = false;
  if (!w.repeat_of && w.customer_id && w.category_id &&
      (w.customer_id != before.customer_id || w.category_id != before.category_id)) {
    TING_ASSIGN_OR_RETURN(Settings settings, loadSettings(tx.session(), w.tenant_id));
    TING_ASSIGN_OR_RETURN(
        store::Rows earlier,
        tx.session().query("SELECT id FROM work_orders WHERE tenant_id = ? AND customer_id = ? "
                           "AND category_id = ? AND id <> ? AND created_at <= ? AND created_at "
                           ">= ? ORDER BY created_at DESC, id DESC LIMIT 1",
                           {w.tenant_id, *w.customer_id, *w.category_id, w.id, w.created_at,
                            w.created_at - settings.repeat_window_days * kDay}));
    if (!earlier.empty()) {
      w.repeat_of = earlier[0].integer(0);
      repeat_found = true;
    }
  }
  TING_RETURN_IF_ERROR(saveWorkOrder(tx, before, w, "update"));
  if (w.type != before.type || w.category_id != before.category_id ||
      w.priority != before.priority || w.customer_id != before.customer_id) {
    TING_ASSIGN_OR_RETURN(int vip, customerVipLevel(tx.session(), w));
    TING_RETURN_IF_ERROR(replanClocks(tx, w, vip));
  }
  TING_RETURN_IF_ERROR(tx.audit({.entity = "work_order",
                                 .entity_id = std::to_string(id),
                                 .action = "update",
                                 .before_json = boost::json::serialize(toJson(before)),
                                 .after_json = boost::json::serialize(toJson(w))}));
  emitChange(tx, w, "updated");
  if (repeat_found) emitChange(tx, w, "repeat");
  return w;
}

Result<WorkOrder> applyAction(store::Tx& tx, std::int64_t id, Action action, const ActionInput& in,
                              Role role) {
  const std::int64_t tenant = tx.actor().tenant_id;
  TING_ASSIGN_OR_RETURN(WorkOrder w, getWorkOrder(tx.session(), tenant, id));
  TING_RETURN_IF_ERROR(checkVersion(w, in.expected_version));
  TING_ASSIGN_OR_RETURN(State next, nextState(w.state, action, role));
  TING_RETURN_IF_ERROR(requireFields(action, in));
  TING_ASSIGN_OR_RETURN(Settings settings, loadSettings(tx.session(), tenant));
  const WorkOrder before = w;
  w.state = next;
  boost::json::object detail;
  auto resolved = [&]() -> Status {
    w.resolved_at = tx.now();
    TING_RETURN_IF_ERROR(
        stopClocks(tx, w, {kFirstResponse, kNextUpdate, kResolution, kRegulatory, kDepartment}));
    const auto& types = settings.follow_up_types;
    if (std::find(types.begin(), types.end(), w.type) != types.end()) {
      return startClock(tx, w, kFollowUp);
    }
    return Status::ok();
  };
  // A customer-facing update: the next-update clock starts over.
  auto updatedCustomer = [&]() -> Status {
    TING_RETURN_IF_ERROR(stopClocks(tx, w, {kNextUpdate}));
    return startClock(tx, w, kNextUpdate);
  };
  switch (action) {
    case Action::kAccept:
      if (*in.promised_reply_at < tx.now() - 60'000) {
        return invalidValue("promised_reply_at must not be in the past", "promised_reply_at");
      }
      w.promised_reply_at = in.promised_reply_at;
      TING_RETURN_IF_ERROR(stopClocks(tx, w, {kFirstResponse}));
      TING_RETURN_IF_ERROR(startClock(tx, w, kNextUpdate));
      break;
    case Action::kResolveOnSpot:
      w.on_the_spot = true;
      w.resolution = in.resolution;
      TING_RETURN_IF_ERROR(resolved());
      break;
    case Action::kInvestigate:
      break;
    case Action::kPropose: {
      const std::int64_t amount = in.compensation_cents.value_or(0);
      const std::int64_t limit = remedyLimit(settings, role);
      const bool needs_approval = amount > 0 && limit >= 0 && amount > limit;
      TING_RETURN_IF_ERROR(tx.session().exec(
          "UPDATE work_order_proposals SET status = 'withdrawn', decided_at = ? WHERE "
          "work_order_id = ? AND status IN ('offered', 'pending_approval')",
          {tx.now(), w.id}));
      TING_RETURN_IF_ERROR(tx.session().exec(
          "UPDATE approvals SET status = 'withdrawn', decided_at = ? WHERE work_order_id = ? AND "
          "kind = 'remedy' AND status = 'pending'",
          {tx.now(), w.id}));
      TING_ASSIGN_OR_RETURN(
          store::Row row,
          tx.session().queryOne(
              "INSERT INTO work_order_proposals (tenant_id, work_order_id, at, author_id, "
              "solution, remedy, compensation_cents, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
              "RETURNING id",
              {tenant, w.id, tx.now(),
               tx.actor().user_id ? store::Value(tx.actor().user_id) : store::nullValue(),
               in.solution, store::textOrNull(in.remedy), amount,
               std::string(needs_approval ? "pending_approval" : "offered")}));
      detail = {{"proposal_id", row.integer(0)},
                {"solution", in.solution},
                {"compensation_cents", amount},
                {"approval_required", needs_approval}};
      if (needs_approval) {
        TING_RETURN_IF_ERROR(approvalRequest(tx, w, row.integer(0), amount, settings));
      } else {
        TING_RETURN_IF_ERROR(updatedCustomer());
      }
      break;
    }
    case Action::kCustomerAccept:
    case Action::kCustomerReject: {
      TING_ASSIGN_OR_RETURN(auto open, openProposal(tx.session(), w.id));
      if (!open) {
        return conflict("no proposal is waiting for the customer's answer", "action")
            .withReason("no_open_proposal");
      }
      if (open->text(1) == "pending_approval") {
        return conflict("the proposal waits for approval before the customer can answer it",
                        "action")
            .withReason("approval_pending");
      }
      const bool accepted = action == Action::kCustomerAccept;
      TING_RETURN_IF_ERROR(tx.session().exec(
          "UPDATE work_order_proposals SET status = ?, reason = ?, decided_at = ? WHERE id = ?",
          {std::string(accepted ? "accepted" : "rejected"), store::textOrNull(in.reason), tx.now(),
           open->integer(0)}));
      detail = {{"proposal_id", open->integer(0)}};
      if (!in.reason.empty()) detail["reason"] = in.reason;
      break;
    }
    case Action::kDispatch:
      if (in.department_due_at && *in.department_due_at <= tx.now()) {
        return invalidValue("department_due_at must be in the future", "department_due_at");
      }
      if (!w.department.empty() && w.department != in.department) w.transfers += 1;
      // Taken from one department straight to another: handled again. After
      // a return the return itself counted, so one bounce counts once.
      if (before.state == State::kDispatched) {
        TING_RETURN_IF_ERROR(countRehandled(tx, w, settings));
      }
      w.department = in.department;
      w.department_due_at = in.department_due_at;
      w.department_reply.clear();
      // A new dispatch replaces the previous department's deadline.
      TING_RETURN_IF_ERROR(stopClocks(tx, w, {kDepartment}, /*cancel=*/true));
      TING_RETURN_IF_ERROR(startDepartmentClock(tx, w));
      break;
    case Action::kDepartmentReply:
    case Action::kReturn: {
      if (role == Role::kDepartment) {
        TING_ASSIGN_OR_RETURN(bool sees, departmentSees(tx.session(), w, tx.actor().user_id));
        if (!sees) {
          return Status(StatusCode::kPermissionDenied,
                        "the work order is dispatched to another department");
        }
      }
      // The department has answered (or sent it back): its deadline is met,
      // or missed when it had passed.
      TING_RETURN_IF_ERROR(stopClocks(tx, w, {kDepartment}));
      if (action == Action::kDepartmentReply) {
        w.department_reply = in.reply;
      } else {
        detail = {{"reason", in.reason}};
        TING_RETURN_IF_ERROR(countRehandled(tx, w, settings));
      }
      break;
    }
    case Action::kResolve: {
      TING_ASSIGN_OR_RETURN(auto open, openProposal(tx.session(), w.id));
      if (open && open->text(1) == "pending_approval") {
        return conflict("a proposal waits for approval", "action").withReason("approval_pending");
      }
      w.resolution = in.resolution;
      TING_RETURN_IF_ERROR(resolved());
      break;
    }
    case Action::kStartFollowUp:
      TING_RETURN_IF_ERROR(followUpCallback(tx, w));
      break;
    case Action::kFollowUpResult: {
      const bool reached = in.reached.value_or(true);
      if (reached && !in.satisfaction) {
        return invalidValue("satisfaction (1-5) is required when the customer was reached",
                            "satisfaction");
      }
      w.follow_up_result = in.result;
      detail = {{"reached", reached}};
      if (!reached) {
        // Missed calls of this follow-up so far (since it started).
        TING_ASSIGN_OR_RETURN(
            store::Row missed,
            tx.session().queryOne(
                "SELECT COUNT(*) FROM work_order_history WHERE work_order_id = ? AND action = "
                "'follow_up_result' AND to_state = 'follow_up' AND id > (SELECT COALESCE(MAX(id), "
                "0) FROM work_order_history WHERE work_order_id = ? AND action = "
                "'start_follow_up')",
                {w.id, w.id}));
        const int attempt = static_cast<int>(missed.integer(0)) + 1;
        detail["attempt"] = attempt;
        if (attempt < settings.follow_up_attempts) {
          // Not reached: the callback stays open for another try.
          w.state = State::kFollowUp;
          TING_RETURN_IF_ERROR(tx.session().exec(
              "UPDATE callback_requests SET attempts = attempts + 1, updated_at = ? WHERE "
              "work_order_id = ? AND source = 'follow_up' AND status = 'open'",
              {tx.now(), w.id}));
          break;
        }
        detail["unreachable"] = true;  // closed without the customer's answer
      }
      w.satisfaction = in.satisfaction;
      w.satisfaction_comment = in.comment;
      w.close_reason = "resolved";
      w.closed_at = tx.now();
      TING_RETURN_IF_ERROR(stopClocks(tx, w, {kFollowUp}));
      TING_RETURN_IF_ERROR(tx.session().exec(
          "UPDATE callback_requests SET status = 'completed', updated_at = ? WHERE "
          "work_order_id = ? AND status = 'open'",
          {tx.now(), w.id}));
      break;
    }
    case Action::kClose: {
      const auto& types = settings.follow_up_types;
      if (std::find(types.begin(), types.end(), w.type) != types.end()) {
        return conflict("a " + w.type + " is closed through its follow-up", "action")
            .withReason("follow_up_required");
      }
      w.close_reason = "resolved";
      w.closed_at = tx.now();
      TING_RETURN_IF_ERROR(stopClocks(tx, w, {kFollowUp}));
      break;
    }
    case Action::kCloseUnresolved:
      w.close_reason = "unresolved";
      w.unresolved_reason = in.reason;
      w.external_routes = in.external_routes;
      w.closed_at = tx.now();
      // The final decision was given: response and resolution clocks are met.
      TING_RETURN_IF_ERROR(stopClocks(tx, w, {kFirstResponse, kResolution, kRegulatory}));
      TING_RETURN_IF_ERROR(stopClocks(tx, w, {kNextUpdate, kFollowUp, kDepartment}, true));
      break;
    case Action::kCloseDuplicate: {
      if (*in.duplicate_of == w.id) {
        return invalidValue("a work order cannot duplicate itself", "duplicate_of");
      }
      auto original = getWorkOrder(tx.session(), tenant, *in.duplicate_of);
      if (!original.isOk()) return invalidValue("no such work order", "duplicate_of");
      if (original->close_reason == "duplicate" && original->duplicate_of) {
        return invalidValue("that work order is itself a duplicate of " +
                                std::to_string(*original->duplicate_of) + "; link to it",
                            "duplicate_of");
      }
      w.duplicate_of = in.duplicate_of;
      w.close_reason = "duplicate";
      w.closed_at = tx.now();
      detail = {{"original", original->reference}};
      TING_RETURN_IF_ERROR(stopClocks(
          tx, w, {kFirstResponse, kNextUpdate, kResolution, kFollowUp, kRegulatory, kDepartment},
          true));
      break;
    }
    case Action::kReopen: {
      if (w.close_reason == "duplicate") {
        return conflict("a duplicate is not reopened; reopen its original", "action")
            .withReason("duplicate");
      }
      if (!w.closed_at || tx.now() > *w.closed_at + settings.reopen_window_days * kDay) {
        return conflict("the reopen window of " + std::to_string(settings.reopen_window_days) +
                            " days has passed",
                        "action")
            .withReason("reopen_window_passed");
      }
      detail = {{"reason", in.reason}, {"was", w.close_reason}};
      w.close_reason.clear();
      w.closed_at.reset();
      w.resolved_at.reset();
      TING_RETURN_IF_ERROR(countRehandled(tx, w, settings));
      TING_RETURN_IF_ERROR(startClock(tx, w, kResolution));
      TING_RETURN_IF_ERROR(startClock(tx, w, kNextUpdate));
      break;
    }
  }
  if (!isOpen(w.state) && w.waiting_on_customer) w.waiting_on_customer = false;
  const std::string name(actionName(action));
  TING_RETURN_IF_ERROR(saveWorkOrder(tx, before, w, name, detail));
  TING_RETURN_IF_ERROR(refreshDue(tx, w));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "work_order",
                                 .entity_id = std::to_string(id),
                                 .action = name,
                                 .before_json = boost::json::serialize(toJson(before)),
                                 .after_json = boost::json::serialize(toJson(w))}));
  emitChange(tx, w, name);
  return w;
}

Result<WorkOrder> setWaitingOnCustomer(store::Tx& tx, std::int64_t id, bool waiting) {
  TING_ASSIGN_OR_RETURN(WorkOrder w, getWorkOrder(tx.session(), tx.actor().tenant_id, id));
  if (!isOpen(w.state)) {
    return conflict("a closed work order waits on nobody", "waiting_on_customer")
        .withReason("closed");
  }
  if (w.waiting_on_customer == waiting) return w;
  const WorkOrder before = w;
  w.waiting_on_customer = waiting;
  TING_RETURN_IF_ERROR(waiting ? pauseClocks(tx, w) : resumeClocks(tx, w));
  TING_RETURN_IF_ERROR(saveWorkOrder(tx, before, w, waiting ? "wait_customer" : "resume"));
  TING_RETURN_IF_ERROR(refreshDue(tx, w));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "work_order",
                                 .entity_id = std::to_string(id),
                                 .action = waiting ? "wait_customer" : "resume",
                                 .before_json = boost::json::serialize(toJson(before)),
                                 .after_json = boost::json::serialize(toJson(w))}));
  emitChange(tx, w, waiting ? "waiting" : "resumed");
  return w;
}

boost::json::object toJson(const Note& n) {
  return {{"id", n.id},
          {"work_order_id", n.work_order_id},
          {"at", formatTimestamp(n.at)},
          {"author_id", optJson(n.author_id)},
          {"author", n.author},
          {"visibility", n.visibility},
          {"body", n.body}};
}

Result<Note> addNote(store::Tx& tx, std::int64_t id, const std::string& visibility,
                     const std::string& body) {
  if (visibility != "internal" && visibility != "customer") {
    return invalidValue("visibility must be internal or customer", "visibility");
  }
  TING_RETURN_IF_ERROR(checkText(body, "body", kMaxText, true));
  TING_ASSIGN_OR_RETURN(WorkOrder w, getWorkOrder(tx.session(), tx.actor().tenant_id, id));
  Note n{.work_order_id = w.id,
         .at = tx.now(),
         .author = tx.actor().name,
         .visibility = visibility,
         .body = body};
  if (tx.actor().user_id) n.author_id = tx.actor().user_id;
  TING_ASSIGN_OR_RETURN(
      store::Row row,
      tx.session().queryOne("INSERT INTO work_order_notes (tenant_id, work_order_id, at, "
                            "author_id, author, visibility, body) VALUES (?, ?, ?, ?, ?, ?, ?) "
                            "RETURNING id",
                            {w.tenant_id, w.id, n.at, store::intOrNull(n.author_id), n.author,
                             n.visibility, n.body}));
  n.id = row.integer(0);
  if (visibility == "customer" && isOpen(w.state)) {
    TING_RETURN_IF_ERROR(stopClocks(tx, w, {kNextUpdate}));
    if (w.state != State::kResolved && w.state != State::kFollowUp) {
      TING_RETURN_IF_ERROR(startClock(tx, w, kNextUpdate));
    }
    TING_RETURN_IF_ERROR(refreshDue(tx, w));
  }
  TING_RETURN_IF_ERROR(tx.audit({.entity = "work_order",
                                 .entity_id = std::to_string(w.id),
                                 .action = "note",
                                 .after_json = boost::json::serialize(toJson(n))}));
  tx.emit({"work_orders", "work_order.note", w.tenant_id, 0,
           boost::json::serialize(boost::json::object{{"work_order_id", w.id},
                                                      {"reference", w.reference},
                                                      {"note_id", n.id},
                                                      {"visibility", visibility}})});
  return n;
}

Result<std::vector<Note>> listNotes(store::Session& s, std::int64_t tenant_id, std::int64_t id,
                                    bool include_internal) {
  TING_ASSIGN_OR_RETURN(WorkOrder w, getWorkOrder(s, tenant_id, id));
  TING_ASSIGN_OR_RETURN(
      store::Rows rows,
      s.query(std::string("SELECT id, at, author_id, author, visibility, body FROM "
                          "work_order_notes WHERE work_order_id = ?") +
                  (include_internal ? "" : " AND visibility = 'customer'") + " ORDER BY id",
              {w.id}));
  std::vector<Note> out;
  for (const auto& r : rows) {
    out.push_back({.id = r.integer(0),
                   .work_order_id = w.id,
                   .at = r.integer(1),
                   .author_id = optCol(r, 2),
                   .author = r.text(3),
                   .visibility = r.text(4),
                   .body = r.text(5)});
  }
  return out;
}

Result<boost::json::array> history(store::Session& s, std::int64_t tenant_id, std::int64_t id) {
  TING_ASSIGN_OR_RETURN(WorkOrder w, getWorkOrder(s, tenant_id, id));
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query("SELECT id, at, actor_id, actor, action, from_state, to_state, "
                                "changes FROM work_order_history WHERE work_order_id = ? ORDER "
                                "BY id",
                                {w.id}));
  boost::json::array out;
  for (const auto& r : rows) {
    boost::system::error_code ec;
    auto changes = boost::json::parse(r.text(7), ec);
    out.push_back({{"id", r.integer(0)},
                   {"at", formatTimestamp(r.integer(1))},
                   {"actor_id", optJson(optCol(r, 2))},
                   {"actor", r.text(3)},
                   {"action", r.text(4)},
                   {"from_state", textJson(r.text(5))},
                   {"to_state", textJson(r.text(6))},
                   {"changes", ec ? boost::json::value(nullptr) : changes}});
  }
  return out;
}

Result<boost::json::array> proposals(store::Session& s, std::int64_t tenant_id, std::int64_t id) {
  TING_ASSIGN_OR_RETURN(WorkOrder w, getWorkOrder(s, tenant_id, id));
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query("SELECT id, at, author_id, solution, remedy, compensation_cents, "
                                "status, reason, decided_at FROM work_order_proposals WHERE "
                                "work_order_id = ? ORDER BY id",
                                {w.id}));
  boost::json::array out;
  for (const auto& r : rows) {
    out.push_back({{"id", r.integer(0)},
                   {"at", formatTimestamp(r.integer(1))},
                   {"author_id", optJson(optCol(r, 2))},
                   {"solution", r.text(3)},
                   {"remedy", textJson(r.text(4))},
                   {"compensation_cents", r.integer(5)},
                   {"status", r.text(6)},
                   {"reason", textJson(r.text(7))},
                   {"decided_at", timeJson(optCol(r, 8))}});
  }
  return out;
}

namespace {

// Open orders are state <> 'closed', which the partial indexes of open orders
// match (ordered by time: lists need no sort).
Result<store::PageQuery> filterQuery(store::Session& s, std::int64_t tenant_id,
                                     const WorkOrderFilter& f) {
  store::PageQuery q{.table = "work_orders", .columns = kColumns, .tenant_id = tenant_id};
  auto add = [&](const std::string& sql, store::Value v) {
    q.filter_sql += " AND " + sql;
    q.filter_params.push_back(std::move(v));
  };
  if (!f.states.empty()) {
    q.filter_sql += " AND state IN (";
    for (std::size_t i = 0; i < f.states.size(); ++i) {
      q.filter_sql += i == 0 ? "?" : ", ?";
      q.filter_params.emplace_back(f.states[i]);
    }
    q.filter_sql += ")";
  }
  if (f.open_only) q.filter_sql += " AND state <> 'closed'";
  if (!f.type.empty()) add("type = ?", f.type);
  if (!f.priority.empty()) add("priority = ?", f.priority);
  if (!f.department.empty()) add("department = ?", f.department);
  if (f.owner_id) add("owner_id = ?", *f.owner_id);
  if (f.unassigned) q.filter_sql += " AND owner_id IS NULL";
  if (f.customer_id) add("customer_id = ?", *f.customer_id);
  if (f.category_id) {
    TING_ASSIGN_OR_RETURN(auto ids, categorySubtree(s, tenant_id, *f.category_id));
    if (ids.empty()) ids.push_back(-1);
    q.filter_sql += " AND category_id IN (";
    for (std::size_t i = 0; i < ids.size(); ++i) {
      q.filter_sql += i == 0 ? "?" : ", ?";
      q.filter_params.emplace_back(ids[i]);
    }
    q.filter_sql += ")";
  }
  if (f.repeat) q.filter_sql += *f.repeat ? " AND repeat_of IS NOT NULL" : " AND repeat_of IS NULL";
  if (f.breached) add("sla_breached = ?", std::int64_t{*f.breached ? 1 : 0});
  if (f.waiting) add("waiting_on_customer = ?", std::int64_t{*f.waiting ? 1 : 0});
  if (f.due_before) add("sla_due_at < ?", *f.due_before);
  if (f.created_since) add("created_at >= ?", *f.created_since);
  if (f.created_until) add("created_at < ?", *f.created_until);
  if (!f.call_id.empty()) {
    add("id IN (SELECT work_order_id FROM work_order_calls WHERE tenant_id = work_orders.tenant_id "
        "AND call_ref = ?)",
        f.call_id);
  }
  if (!f.q.empty()) {
    const std::string pattern = store::containsPattern(f.q);
    q.filter_sql +=
        " AND (LOWER(reference) LIKE ? ESCAPE '\\' OR LOWER(subject) LIKE ? ESCAPE '\\')";
    q.filter_params.emplace_back(pattern);
    q.filter_params.emplace_back(pattern);
  }
  return q;
}

}  // namespace

Result<store::Page> listWorkOrders(store::Session& s, std::int64_t tenant_id,
                                   const WorkOrderFilter& filter, const store::PageRequest& page) {
  TING_ASSIGN_OR_RETURN(store::PageQuery q, filterQuery(s, tenant_id, filter));
  return store::listPage(s, q, page);
}

Result<std::int64_t> countWorkOrders(store::Session& s, std::int64_t tenant_id,
                                     const WorkOrderFilter& filter) {
  TING_ASSIGN_OR_RETURN(store::PageQuery q, filterQuery(s, tenant_id, filter));
  std::vector<store::Value> params{tenant_id};
  params.insert(params.end(), q.filter_params.begin(), q.filter_params.end());
  std::string from = "work_orders";
  if (filter.open_only && s.dialect() == store::Dialect::kSqlite) {
    // SQLite's planner prefers walking the whole tenant on (tenant_id, state)
    // for a count, even with statistics; the partial index of open orders
    // that fits the view is 5-50 times faster. PostgreSQL picks well itself.
    from += filter.due_before    ? " INDEXED BY work_orders_open_due"
            : filter.breached    ? " INDEXED BY work_orders_open_breached"
            : filter.owner_id    ? " INDEXED BY work_orders_open_owner"
            : filter.category_id ? " INDEXED BY work_orders_open_category"
                                 : " INDEXED BY work_orders_open";
  }
  TING_ASSIGN_OR_RETURN(
      store::Rows rows,
      s.query("SELECT COUNT(*) FROM " + from + " WHERE tenant_id = ?" + q.filter_sql, params));
  return rows.empty() ? 0 : rows[0].integer(0);
}

Result<std::vector<WorkOrder>> workOrdersOf(store::Session&, const store::Page& page) {
  std::vector<WorkOrder> out;
  for (const auto& r : page.rows) out.push_back(fromRow(r));
  return out;
}

Result<std::string> departmentOf(store::Session& s, std::int64_t tenant_id, std::int64_t user_id) {
  TING_ASSIGN_OR_RETURN(
      store::Rows rows,
      s.query("SELECT department FROM users WHERE tenant_id = ? AND id = ?", {tenant_id, user_id}));
  return rows.empty() ? std::string() : rows[0].text(0);
}

Result<bool> departmentSees(store::Session& s, const WorkOrder& w, std::int64_t user_id) {
  TING_ASSIGN_OR_RETURN(std::string dept, departmentOf(s, w.tenant_id, user_id));
  return !dept.empty() && dept == w.department;
}

Result<std::vector<WorkOrder>> openWorkOrdersOf(store::Session& s, std::int64_t tenant_id,
                                                std::int64_t customer_id, int limit) {
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query(std::string("SELECT ") + kColumns +
                                    " FROM work_orders WHERE tenant_id = ? AND customer_id = ? "
                                    "AND state <> 'closed' ORDER BY created_at DESC, id DESC "
                                    "LIMIT ?",
                                {tenant_id, customer_id, std::int64_t{limit}}));
  std::vector<WorkOrder> out;
  for (const auto& r : rows) out.push_back(fromRow(r));
  return out;
}

namespace {

constexpr const char* kApprovalColumns =
    "a.id, a.work_order_id, w.reference, a.kind, a.subject_id, a.amount_cents, a.required_role, "
    "a.status, a.requested_by, a.requested_at, a.decided_by, a.decided_at, a.reason";

boost::json::object approvalJson(const store::Row& r) {
  return {{"id", r.integer(0)},
          {"work_order_id", r.integer(1)},
          {"reference", r.text(2)},
          {"kind", r.text(3)},
          {"proposal_id", r.text(3) == "remedy" ? optJson(optCol(r, 4)) : nullptr},
          {"amount_cents", r.integer(5)},
          {"required_role", r.text(6)},
          {"status", r.text(7)},
          {"requested_by", optJson(optCol(r, 8))},
          {"requested_at", formatTimestamp(r.integer(9))},
          {"decided_by", optJson(optCol(r, 10))},
          {"decided_at", timeJson(optCol(r, 11))},
          {"reason", textJson(r.text(12))}};
}

Result<boost::json::object> approvalById(store::Session& s, std::int64_t tenant_id,
                                         std::int64_t id) {
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query(std::string("SELECT ") + kApprovalColumns +
                                    " FROM approvals a JOIN work_orders w ON w.id = "
                                    "a.work_order_id WHERE a.tenant_id = ? AND a.id = ?",
                                {tenant_id, id}));
  if (rows.empty()) return notFound("no such approval");
  return approvalJson(rows[0]);
}

bool mayDecide(const std::string& required, Role role) {
  if (role == Role::kSupervisor || role == Role::kAdmin) return true;
  return role == Role::kTeamLead && required == "team_lead";
}

}  // namespace

Result<boost::json::array> listApprovals(store::Session& s, std::int64_t tenant_id,
                                         const std::string& status,
                                         std::optional<std::int64_t> work_order_id) {
  std::string sql = std::string("SELECT ") + kApprovalColumns +
                    " FROM approvals a JOIN work_orders w ON w.id = a.work_order_id WHERE "
                    "a.tenant_id = ?";
  std::vector<store::Value> params{tenant_id};
  if (!status.empty()) {
    sql += " AND a.status = ?";
    params.emplace_back(status);
  }
  if (work_order_id) {
    sql += " AND a.work_order_id = ?";
    params.emplace_back(*work_order_id);
  }
  sql += " ORDER BY a.id DESC LIMIT 500";
  TING_ASSIGN_OR_RETURN(store::Rows rows, s.query(sql, params));
  boost::json::array out;
  for (const auto& r : rows) out.push_back(approvalJson(r));
  return out;
}

Result<boost::json::object> requestRegulatoryExtension(store::Tx& tx, std::int64_t id,
                                                       const std::string& reason) {
  TING_RETURN_IF_ERROR(checkText(reason, "reason", kMaxText, true));
  TING_ASSIGN_OR_RETURN(WorkOrder w, getWorkOrder(tx.session(), tx.actor().tenant_id, id));
  TING_ASSIGN_OR_RETURN(bool needs, regulatoryExtensionNeedsApproval(tx.session(), w));
  if (!needs) {
    return conflict("the first extension needs no approval; extend directly", "reason")
        .withReason("no_approval_needed");
  }
  TING_ASSIGN_OR_RETURN(store::Rows pending,
                        tx.session().query("SELECT id FROM approvals WHERE work_order_id = ? AND "
                                           "kind = 'regulatory_extension' AND status = 'pending'",
                                           {w.id}));
  if (!pending.empty()) {
    return conflict("an extension already waits for approval", "reason")
        .withReason("approval_pending");
  }
  TING_ASSIGN_OR_RETURN(
      store::Row row,
      tx.session().queryOne(
          "INSERT INTO approvals (tenant_id, work_order_id, kind, required_role, status, "
          "requested_by, requested_at, reason) VALUES (?, ?, 'regulatory_extension', "
          "'supervisor', 'pending', ?, ?, ?) RETURNING id",
          {w.tenant_id, w.id,
           tx.actor().user_id ? store::Value(tx.actor().user_id) : store::nullValue(), tx.now(),
           reason}));
  TING_ASSIGN_OR_RETURN(boost::json::object a,
                        approvalById(tx.session(), w.tenant_id, row.integer(0)));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "approval",
                                 .entity_id = std::to_string(row.integer(0)),
                                 .action = "request",
                                 .before_json = "",
                                 .after_json = boost::json::serialize(a)}));
  tx.emit({"work_orders", "approval.requested", w.tenant_id, 0, boost::json::serialize(a)});
  return a;
}

Result<boost::json::object> decideApproval(store::Tx& tx, std::int64_t approval_id, bool approve,
                                           const std::string& reason, Role role) {
  const std::int64_t tenant = tx.actor().tenant_id;
  TING_RETURN_IF_ERROR(checkText(reason, "reason", kMaxText, !approve));
  TING_ASSIGN_OR_RETURN(boost::json::object before,
                        approvalById(tx.session(), tenant, approval_id));
  if (before.at("status") != "pending") {
    return conflict("the approval was already " + std::string(before.at("status").as_string()),
                    "approve")
        .withReason("decided");
  }
  const std::string required(before.at("required_role").as_string());
  if (!mayDecide(required, role)) {
    return Status(StatusCode::kPermissionDenied, "this approval needs a " + required);
  }
  if (before.at("requested_by").is_int64() &&
      before.at("requested_by").as_int64() == tx.actor().user_id) {
    return Status(StatusCode::kPermissionDenied, "nobody approves their own request");
  }
  const std::int64_t work_order_id = before.at("work_order_id").as_int64();
  TING_ASSIGN_OR_RETURN(WorkOrder w, getWorkOrder(tx.session(), tenant, work_order_id));
  const std::string kind(before.at("kind").as_string());
  TING_RETURN_IF_ERROR(tx.session().exec(
      "UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?, reason = COALESCE(?, "
      "reason) WHERE id = ?",
      {std::string(approve ? "approved" : "rejected"),
       tx.actor().user_id ? store::Value(tx.actor().user_id) : store::nullValue(), tx.now(),
       store::textOrNull(reason), approval_id}));
  if (kind == "remedy") {
    const std::int64_t proposal = before.at("proposal_id").as_int64();
    TING_RETURN_IF_ERROR(tx.session().exec(
        "UPDATE work_order_proposals SET status = ?, reason = ?, decided_at = ? WHERE id = ? "
        "AND status = 'pending_approval'",
        {std::string(approve ? "offered" : "approval_rejected"), store::textOrNull(reason),
         approve ? store::nullValue() : store::Value(tx.now()), proposal}));
    if (approve && isOpen(w.state)) {
      TING_RETURN_IF_ERROR(stopClocks(tx, w, {kNextUpdate}));
      TING_RETURN_IF_ERROR(startClock(tx, w, kNextUpdate));
    }
  } else if (approve) {
    TING_RETURN_IF_ERROR(extendRegulatory(tx, w, reason.empty() ? "approved" : reason, true));
  }
  const WorkOrder prior = w;
  TING_RETURN_IF_ERROR(saveWorkOrder(tx, prior, w,
                                     approve ? "approval_approved" : "approval_rejected",
                                     {{"approval_id", approval_id}, {"kind", kind}}));
  TING_RETURN_IF_ERROR(refreshDue(tx, w));
  TING_ASSIGN_OR_RETURN(boost::json::object after, approvalById(tx.session(), tenant, approval_id));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "approval",
                                 .entity_id = std::to_string(approval_id),
                                 .action = approve ? "approve" : "reject",
                                 .before_json = boost::json::serialize(before),
                                 .after_json = boost::json::serialize(after)}));
  tx.emit({"work_orders", approve ? "approval.approved" : "approval.rejected", tenant, 0,
           boost::json::serialize(after)});
  return after;
}

}  // namespace ting::workorders
