#include "workorders/sla.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <limits>

#include "identity/role.h"
#include "workorders/settings.h"

namespace ting::workorders {

namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kDay = 86'400'000;
constexpr int kMaxEscalations = 5;

constexpr const char* kPolicyColumns =
    "id, name, position, active, type, category_id, priority, min_vip_level, calendar_id, "
    "first_response_min, next_update_min, resolution_min, follow_up_min, warn_percent, "
    "escalations, regulatory";

constexpr const char* kClockColumns =
    "id, tenant_id, work_order_id, kind, status, calendar_id, target_ms, warn_percent, "
    "started_at, due_at, warn_at, warned, remaining_ms, paused_at, breached_at, "
    "escalation_level, extensions";

boost::json::value optInt(const std::optional<std::int64_t>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}
boost::json::value optInt(const std::optional<int>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

boost::json::value parseJson(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  return ec ? boost::json::value(nullptr) : v;
}

boost::json::array escalationsJson(const std::vector<Escalation>& list) {
  boost::json::array a;
  for (const auto& e : list) {
    boost::json::object o{{"after_minutes", e.after_minutes}, {"action", e.action}};
    if (!e.role.empty()) o["role"] = e.role;
    if (e.user_id) o["user_id"] = *e.user_id;
    a.push_back(std::move(o));
  }
  return a;
}

boost::json::value regulatoryJson(const std::optional<Regulatory>& r) {
  if (!r) return nullptr;
  return boost::json::object{{"days", r->days},
                             {"working_days", r->working_days},
                             {"extend_to_days", r->extend_to_days},
                             {"extra_days", r->extra_days}};
}

Result<std::vector<Escalation>> escalationsFromJson(const boost::json::value& v) {
  if (!v.is_array()) return invalidValue("escalations must be an array", "escalations");
  if (v.as_array().size() > kMaxEscalations) {
    return invalidValue("at most 5 escalation levels", "escalations");
  }
  std::vector<Escalation> out;
  for (std::size_t i = 0; i < v.as_array().size(); ++i) {
    const std::string f = "escalations[" + std::to_string(i) + "]";
    const auto& e = v.as_array()[i];
    if (!e.is_object()) return invalidValue(f + " must be an object", f);
    Escalation x;
    for (const auto& [k, val] : e.as_object()) {
      const std::string kf = f + "." + std::string(k);
      if (k == "after_minutes") {
        if (!val.is_int64() || val.as_int64() < 0 || val.as_int64() > 525'600) {
          return invalidValue(kf + " must be minutes after the breach (0 to a year)", kf);
        }
        x.after_minutes = static_cast<int>(val.as_int64());
      } else if (k == "action") {
        if (!val.is_string() || (val.as_string() != "notify" && val.as_string() != "reassign")) {
          return invalidValue(kf + " must be notify or reassign", kf);
        }
        x.action = std::string(val.as_string());
      } else if (k == "role") {
        auto r = val.is_string() ? identity::parseRole(val.as_string()) : std::nullopt;
        if (!r) return invalidValue(kf + " must be a role", kf);
        x.role = std::string(val.as_string());
      } else if (k == "user_id") {
        if (!val.is_int64() || val.as_int64() <= 0) return invalidValue(kf + " must be an id", kf);
        x.user_id = val.as_int64();
      } else {
        return invalidValue("unknown field " + kf, kf);
      }
    }
    if (x.action.empty()) return invalidValue(f + ".action is required", f + ".action");
    if (x.action == "reassign" && !x.user_id) {
      return invalidValue(f + ": reassign needs user_id", f + ".user_id");
    }
    if (x.action == "notify" && x.role.empty() && !x.user_id) {
      return invalidValue(f + ": notify needs role or user_id", f + ".role");
    }
    if (!out.empty() && x.after_minutes < out.back().after_minutes) {
      return invalidValue(f + ": levels must come in order of after_minutes", f + ".after_minutes");
    }
    out.push_back(std::move(x));
  }
  return out;
}

Result<std::optional<Regulatory>> regulatoryFromJson(const boost::json::value& v) {
  if (v.is_null()) return std::optional<Regulatory>();
  if (!v.is_object()) return invalidValue("regulatory must be an object or null", "regulatory");
  Regulatory r;
  for (const auto& [k, val] : v.as_object()) {
    const std::string f = "regulatory." + std::string(k);
    if (k == "working_days") {
      if (!val.is_bool()) return invalidValue(f + " must be true or false", f);
      r.working_days = val.as_bool();
      continue;
    }
    if (!val.is_int64() || val.as_int64() < 1 || val.as_int64() > 365) {
      return invalidValue(f + " must be days from 1 to 365", f);
    }
    const int days = static_cast<int>(val.as_int64());
    if (k == "days") {
      r.days = days;
    } else if (k == "extend_to_days") {
      r.extend_to_days = days;
    } else if (k == "extra_days") {
      r.extra_days = days;
    } else {
      return invalidValue("unknown field " + f, f);
    }
  }
  if (r.extend_to_days < r.days) {
    return invalidValue("regulatory.extend_to_days must be at least days",
                        "regulatory.extend_to_days");
  }
  return std::optional<Regulatory>(r);
}

SlaPolicy policyFromRow(const store::Row& r) {
  SlaPolicy p;
  p.id = r.integer(0);
  p.name = r.text(1);
  p.position = static_cast<int>(r.integer(2));
  p.active = r.integer(3) != 0;
  p.type = r.text(4);
  if (!r.isNull(5)) p.category_id = r.integer(5);
  p.priority = r.text(6);
  if (!r.isNull(7)) p.min_vip_level = static_cast<int>(r.integer(7));
  if (!r.isNull(8)) p.calendar_id = r.integer(8);
  auto opt = [&](size_t i) {
    return r.isNull(i) ? std::optional<int>() : std::optional<int>(static_cast<int>(r.integer(i)));
  };
  p.first_response_min = opt(9);
  p.next_update_min = opt(10);
  p.resolution_min = opt(11);
  p.follow_up_min = opt(12);
  p.warn_percent = static_cast<int>(r.integer(13));
  if (auto e = escalationsFromJson(parseJson(r.text(14))); e.isOk()) p.escalations = *e;
  if (!r.isNull(15)) {
    if (auto g = regulatoryFromJson(parseJson(r.text(15))); g.isOk()) p.regulatory = *g;
  }
  return p;
}

struct Clock {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::int64_t work_order_id = 0;
  std::string kind;
  std::string status;
  std::optional<std::int64_t> calendar_id;
  std::int64_t target_ms = 0;
  int warn_percent = 80;
  UnixMillis started_at = 0;
  UnixMillis due_at = 0;
  UnixMillis warn_at = 0;
  bool warned = false;
  std::optional<std::int64_t> remaining_ms;
  std::optional<UnixMillis> paused_at;
  std::optional<UnixMillis> breached_at;
  int escalation_level = 0;
  int extensions = 0;
};

Clock clockFromRow(const store::Row& r) {
  Clock c;
  c.id = r.integer(0);
  c.tenant_id = r.integer(1);
  c.work_order_id = r.integer(2);
  c.kind = r.text(3);
  c.status = r.text(4);
  if (!r.isNull(5)) c.calendar_id = r.integer(5);
  c.target_ms = r.integer(6);
  c.warn_percent = static_cast<int>(r.integer(7));
  c.started_at = r.integer(8);
  c.due_at = r.integer(9);
  c.warn_at = r.integer(10);
  c.warned = r.integer(11) != 0;
  if (!r.isNull(12)) c.remaining_ms = r.integer(12);
  if (!r.isNull(13)) c.paused_at = r.integer(13);
  if (!r.isNull(14)) c.breached_at = r.integer(14);
  c.escalation_level = static_cast<int>(r.integer(15));
  c.extensions = static_cast<int>(r.integer(16));
  return c;
}

Result<BusinessCalendar> calendarById(store::Session& s, std::int64_t tenant_id,
                                      const std::optional<std::int64_t>& id) {
  if (!id) return BusinessCalendar();
  auto c = getCalendar(s, tenant_id, *id);
  if (!c.isOk()) {
    // A deleted calendar: count wall-clock time rather than lose the clock.
    if (c.status().code() == StatusCode::kNotFound) return BusinessCalendar();
    return c.status();
  }
  return c->calendar;
}

// The next instant the sweeper must look at this clock; nullopt: never.
std::optional<UnixMillis> nextCheck(const Clock& c, const SlaPolicy* policy) {
  if (c.status != "running") return std::nullopt;
  if (!c.warned && c.warn_at < c.due_at) return c.warn_at;
  if (!c.breached_at) return c.due_at;
  // Every clock escalates by the policy's levels, the regulator's deadline too.
  if (policy && c.escalation_level < static_cast<int>(policy->escalations.size())) {
    return *c.breached_at + policy->escalations[c.escalation_level].after_minutes * kMinute;
  }
  return std::nullopt;
}

Status writeClock(store::Tx& tx, const Clock& c, const SlaPolicy* policy) {
  auto next = nextCheck(c, policy);
  return tx.session().exec(
      "UPDATE sla_clocks SET status = ?, due_at = ?, warn_at = ?, warned = ?, remaining_ms = ?, "
      "paused_at = ?, breached_at = ?, escalation_level = ?, extensions = ?, next_check_at = ?, "
      "stopped_at = ? WHERE id = ?",
      {c.status, c.due_at, c.warn_at, std::int64_t{c.warned ? 1 : 0},
       store::intOrNull(c.remaining_ms), store::intOrNull(c.paused_at),
       store::intOrNull(c.breached_at), std::int64_t{c.escalation_level},
       std::int64_t{c.extensions}, store::intOrNull(next),
       c.status == "running" || c.status == "paused" ? store::nullValue() : store::Value(tx.now()),
       c.id});
}

Result<std::vector<Clock>> clocksOf(store::Session& s, std::int64_t work_order_id,
                                    const std::string& where) {
  TING_ASSIGN_OR_RETURN(store::Rows rows, s.query(std::string("SELECT ") + kClockColumns +
                                                      " FROM sla_clocks WHERE work_order_id = ? " +
                                                      where + " ORDER BY id",
                                                  {work_order_id}));
  std::vector<Clock> out;
  for (const auto& r : rows) out.push_back(clockFromRow(r));
  return out;
}

Result<std::optional<SlaPolicy>> policyOf(store::Session& s, const WorkOrder& w) {
  if (!w.sla_policy_id) return std::optional<SlaPolicy>();
  auto p = getPolicy(s, w.tenant_id, *w.sla_policy_id);
  if (!p.isOk()) {
    if (p.status().code() == StatusCode::kNotFound) return std::optional<SlaPolicy>();
    return p.status();
  }
  return std::optional<SlaPolicy>(*p);
}

std::optional<int> targetMinutes(const SlaPolicy& p, const std::string& kind) {
  if (kind == kFirstResponse) return p.first_response_min;
  if (kind == kNextUpdate) return p.next_update_min;
  if (kind == kResolution) return p.resolution_min;
  if (kind == kFollowUp) return p.follow_up_min;
  return std::nullopt;
}

// "N working days": N 24-hour spans from the start that each hold open time.
UnixMillis addWorkingDays(const BusinessCalendar& cal, UnixMillis start, int days) {
  UnixMillis t = start;
  int counted = 0;
  for (int i = 0; i < 3700 && counted < days; ++i) {
    if (cal.alwaysOpen() || cal.businessTimeBetween(t, t + kDay) > 0) ++counted;
    t += kDay;
  }
  return t;
}

boost::json::object clockJson(const Clock& c) {
  auto time = [](const std::optional<UnixMillis>& t) {
    return t ? boost::json::value(formatTimestamp(*t)) : boost::json::value(nullptr);
  };
  return {{"id", c.id},
          {"kind", c.kind},
          {"status", c.status},
          {"breached", c.breached_at.has_value()},
          {"started_at", formatTimestamp(c.started_at)},
          {"due_at", formatTimestamp(c.due_at)},
          {"warn_at", formatTimestamp(c.warn_at)},
          {"warned", c.warned},
          {"target_minutes", c.target_ms / kMinute},
          {"remaining_ms", optInt(c.remaining_ms)},
          {"paused_at", time(c.paused_at)},
          {"breached_at", time(c.breached_at)},
          {"escalation_level", c.escalation_level},
          {"extensions", c.extensions}};
}

Status insertClock(store::Tx& tx, const WorkOrder& w, const std::string& kind,
                   const std::optional<std::int64_t>& calendar_id, std::int64_t target_ms,
                   int warn_percent, UnixMillis due_at, UnixMillis warn_at) {
  // Deferred with its event, which names the clock by the id just generated.
  TING_RETURN_IF_ERROR(tx.session().defer(
      "INSERT INTO sla_clocks (tenant_id, work_order_id, kind, status, calendar_id, target_ms, "
      "warn_percent, started_at, due_at, warn_at, next_check_at) VALUES (?, ?, ?, 'running', ?, "
      "?, ?, ?, ?, ?, ?)",
      {w.tenant_id, w.id, kind, store::intOrNull(calendar_id), target_ms,
       std::int64_t{warn_percent}, tx.now(), due_at, warn_at,
       warn_at < due_at ? warn_at : due_at}));
  return slaEvent(tx, w.id, kClockJustInserted, kind, "started",
                  {{"due_at", formatTimestamp(due_at)}, {"target_minutes", target_ms / kMinute}});
}

}  // namespace

boost::json::object toJson(const SlaPolicy& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"position", p.position},
          {"active", p.active},
          {"type", p.type.empty() ? boost::json::value(nullptr) : boost::json::value(p.type)},
          {"category_id", optInt(p.category_id)},
          {"priority",
           p.priority.empty() ? boost::json::value(nullptr) : boost::json::value(p.priority)},
          {"min_vip_level", optInt(p.min_vip_level)},
          {"calendar_id", optInt(p.calendar_id)},
          {"first_response_minutes", optInt(p.first_response_min)},
          {"next_update_minutes", optInt(p.next_update_min)},
          {"resolution_minutes", optInt(p.resolution_min)},
          {"follow_up_minutes", optInt(p.follow_up_min)},
          {"warn_percent", p.warn_percent},
          {"escalations", escalationsJson(p.escalations)},
          {"regulatory", regulatoryJson(p.regulatory)}};
}

Result<SlaPolicy> policyFromJson(store::Session& s, std::int64_t tenant_id,
                                 const boost::json::object& body, SlaPolicy p) {
  auto minutes = [](const boost::json::value& v,
                    const std::string& f) -> Result<std::optional<int>> {
    if (v.is_null()) return std::optional<int>();
    if (!v.is_int64() || v.as_int64() < 1 || v.as_int64() > 525'600) {
      return invalidValue(f + " must be minutes from 1 to 525600 (a year), or null", f);
    }
    return std::optional<int>(static_cast<int>(v.as_int64()));
  };
  for (const auto& [key, v] : body) {
    const std::string f(key);
    if (f == "name") {
      if (!v.is_string() || v.as_string().empty() || v.as_string().size() > 200) {
        return invalidValue("name must be 1-200 bytes", f);
      }
      p.name = std::string(v.as_string());
    } else if (f == "position") {
      if (!v.is_int64() || v.as_int64() < 0 || v.as_int64() > 1'000'000) {
        return invalidValue("position must be an integer from 0", f);
      }
      p.position = static_cast<int>(v.as_int64());
    } else if (f == "active") {
      if (!v.is_bool()) return invalidValue("active must be true or false", f);
      p.active = v.as_bool();
    } else if (f == "type" || f == "priority") {
      std::string val = v.is_null() ? "" : v.is_string() ? std::string(v.as_string()) : "?";
      bool ok = val.empty();
      if (f == "type") {
        for (const char* t : kTypes) ok = ok || val == t;
      } else {
        for (const char* t : kPriorities) ok = ok || val == t;
      }
      if (!ok) return invalidValue(f + " is not one Ting knows (or null for any)", f);
      (f == "type" ? p.type : p.priority) = val;
    } else if (f == "category_id" || f == "calendar_id") {
      std::optional<std::int64_t> id;
      if (!v.is_null()) {
        if (!v.is_int64()) return invalidValue(f + " must be an id or null", f);
        id = v.as_int64();
        if (f == "category_id") {
          TING_ASSIGN_OR_RETURN(auto path, categoryPath(s, tenant_id, *id));
          if (path.empty()) return invalidValue("no such category", f);
        } else {
          auto cal = getCalendar(s, tenant_id, *id);
          if (!cal.isOk()) return invalidValue("no such calendar", f);
        }
      }
      (f == "category_id" ? p.category_id : p.calendar_id) = id;
    } else if (f == "min_vip_level") {
      if (v.is_null()) {
        p.min_vip_level.reset();
      } else if (!v.is_int64() || v.as_int64() < 0 || v.as_int64() > 5) {
        return invalidValue("min_vip_level must be 0-5 or null", f);
      } else {
        p.min_vip_level = static_cast<int>(v.as_int64());
      }
    } else if (f == "first_response_minutes") {
      TING_ASSIGN_OR_RETURN(p.first_response_min, minutes(v, f));
    } else if (f == "next_update_minutes") {
      TING_ASSIGN_OR_RETURN(p.next_update_min, minutes(v, f));
    } else if (f == "resolution_minutes") {
      TING_ASSIGN_OR_RETURN(p.resolution_min, minutes(v, f));
    } else if (f == "follow_up_minutes") {
      TING_ASSIGN_OR_RETURN(p.follow_up_min, minutes(v, f));
    } else if (f == "warn_percent") {
      if (!v.is_int64() || v.as_int64() < 1 || v.as_int64() > 100) {
        return invalidValue("warn_percent must be 1-100 (100: no warning)", f);
      }
      p.warn_percent = static_cast<int>(v.as_int64());
    } else if (f == "escalations") {
      TING_ASSIGN_OR_RETURN(p.escalations, escalationsFromJson(v));
    } else if (f == "regulatory") {
      TING_ASSIGN_OR_RETURN(p.regulatory, regulatoryFromJson(v));
    } else {
      return invalidArgument("unknown field '" + f + "'", f);
    }
  }
  if (p.name.empty()) return invalidValue("name is required", "name");
  return p;
}

Status listPoliciesLater(store::Session& s, std::int64_t tenant_id, std::vector<SlaPolicy>& out) {
  out.clear();
  return s.defer(std::string("SELECT ") + kPolicyColumns +
                     " FROM sla_policies WHERE tenant_id = ? ORDER BY position, id",
                 {tenant_id}, [&out](store::Rows& rows) {
                   for (const auto& r : rows) out.push_back(policyFromRow(r));
                 });
}

Result<std::vector<SlaPolicy>> listPolicies(store::Session& s, std::int64_t tenant_id) {
  std::vector<SlaPolicy> out;
  TING_RETURN_IF_ERROR(listPoliciesLater(s, tenant_id, out));
  TING_RETURN_IF_ERROR(s.flush());
  return out;
}

Result<SlaPolicy> getPolicy(store::Session& s, std::int64_t tenant_id, std::int64_t id) {
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query(std::string("SELECT ") + kPolicyColumns +
                                    " FROM sla_policies WHERE tenant_id = ? AND id = ?",
                                {tenant_id, id}));
  if (rows.empty()) return notFound("no such SLA policy");
  return policyFromRow(rows[0]);
}

Result<SlaPolicy> savePolicy(store::Tx& tx, SlaPolicy p) {
  const std::int64_t tenant = tx.actor().tenant_id;
  std::string before;
  const std::vector<store::Value> values = {
      p.name,
      std::int64_t{p.position},
      std::int64_t{p.active ? 1 : 0},
      store::textOrNull(p.type),
      store::intOrNull(p.category_id),
      store::textOrNull(p.priority),
      store::intOrNull(p.min_vip_level),
      store::intOrNull(p.calendar_id),
      store::intOrNull(p.first_response_min),
      store::intOrNull(p.next_update_min),
      store::intOrNull(p.resolution_min),
      store::intOrNull(p.follow_up_min),
      std::int64_t{p.warn_percent},
      boost::json::serialize(escalationsJson(p.escalations)),
      p.regulatory ? store::Value(boost::json::serialize(regulatoryJson(p.regulatory)))
                   : store::nullValue(),
      tx.now(),
  };
  if (p.id == 0) {
    std::vector<store::Value> params = values;
    params.push_back(tx.now());
    params.push_back(tenant);
    TING_ASSIGN_OR_RETURN(
        store::Rows rows,
        tx.session().query(
            "INSERT INTO sla_policies (name, position, active, type, category_id, priority, "
            "min_vip_level, calendar_id, first_response_min, next_update_min, resolution_min, "
            "follow_up_min, warn_percent, escalations, regulatory, updated_at, created_at, "
            "tenant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params));
    if (rows.empty()) return internalError("no id for the new SLA policy");
    p.id = rows[0].integer(0);
  } else {
    TING_ASSIGN_OR_RETURN(SlaPolicy old, getPolicy(tx.session(), tenant, p.id));
    before = boost::json::serialize(toJson(old));
    std::vector<store::Value> params = values;
    params.push_back(tenant);
    params.push_back(p.id);
    TING_RETURN_IF_ERROR(
        tx.session()
            .query("UPDATE sla_policies SET name = ?, position = ?, active = ?, type = ?, "
                   "category_id = ?, priority = ?, min_vip_level = ?, calendar_id = ?, "
                   "first_response_min = ?, next_update_min = ?, resolution_min = ?, "
                   "follow_up_min = ?, warn_percent = ?, escalations = ?, regulatory = ?, "
                   "updated_at = ? WHERE tenant_id = ? AND id = ?",
                   params)
            .status());
  }
  TING_RETURN_IF_ERROR(tx.audit({.entity = "sla_policy",
                                 .entity_id = std::to_string(p.id),
                                 .action = before.empty() ? "create" : "update",
                                 .before_json = before,
                                 .after_json = boost::json::serialize(toJson(p))}));
  return p;
}

Status deletePolicy(store::Tx& tx, std::int64_t id) {
  TING_ASSIGN_OR_RETURN(SlaPolicy old, getPolicy(tx.session(), tx.actor().tenant_id, id));
  TING_RETURN_IF_ERROR(tx.session().exec("DELETE FROM sla_policies WHERE tenant_id = ? AND id = ?",
                                         {tx.actor().tenant_id, id}));
  return tx.audit({.entity = "sla_policy",
                   .entity_id = std::to_string(id),
                   .action = "delete",
                   .before_json = boost::json::serialize(toJson(old))});
}

boost::json::object toJson(const NamedCalendar& c) {
  boost::json::object o = c.calendar.toJson();
  o["id"] = c.id;
  o["name"] = c.name;
  return o;
}

Result<std::vector<NamedCalendar>> listCalendars(store::Session& s, std::int64_t tenant_id) {
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query("SELECT id, name, definition FROM business_calendars WHERE "
                                "tenant_id = ? ORDER BY name",
                                {tenant_id}));
  std::vector<NamedCalendar> out;
  for (const auto& r : rows) {
    auto cal = BusinessCalendar::fromJson(parseJson(r.text(2)));
    out.push_back({r.integer(0), r.text(1), cal.isOk() ? *cal : BusinessCalendar()});
  }
  return out;
}

Result<NamedCalendar> getCalendar(store::Session& s, std::int64_t tenant_id, std::int64_t id) {
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query("SELECT id, name, definition FROM business_calendars WHERE "
                                "tenant_id = ? AND id = ?",
                                {tenant_id, id}));
  if (rows.empty()) return notFound("no such calendar");
  TING_ASSIGN_OR_RETURN(BusinessCalendar cal,
                        BusinessCalendar::fromJson(parseJson(rows[0].text(2))));
  return NamedCalendar{id, rows[0].text(1), std::move(cal)};
}

Result<NamedCalendar> saveCalendar(store::Tx& tx, NamedCalendar c) {
  const std::int64_t tenant = tx.actor().tenant_id;
  const std::string definition = boost::json::serialize(c.calendar.toJson());
  std::string before;
  if (c.id == 0) {
    TING_ASSIGN_OR_RETURN(
        store::Row row,
        tx.session().queryOne("INSERT INTO business_calendars (tenant_id, name, definition, "
                              "created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                              {tenant, c.name, definition, tx.now(), tx.now()}));
    c.id = row.integer(0);
  } else {
    TING_ASSIGN_OR_RETURN(NamedCalendar old, getCalendar(tx.session(), tenant, c.id));
    before = boost::json::serialize(toJson(old));
    TING_RETURN_IF_ERROR(tx.session().exec(
        "UPDATE business_calendars SET name = ?, definition = ?, updated_at = ? WHERE "
        "tenant_id = ? AND id = ?",
        {c.name, definition, tx.now(), tenant, c.id}));
  }
  TING_RETURN_IF_ERROR(tx.audit({.entity = "business_calendar",
                                 .entity_id = std::to_string(c.id),
                                 .action = before.empty() ? "create" : "update",
                                 .before_json = before,
                                 .after_json = boost::json::serialize(toJson(c))}));
  return c;
}

Status deleteCalendar(store::Tx& tx, std::int64_t id) {
  const std::int64_t tenant = tx.actor().tenant_id;
  TING_ASSIGN_OR_RETURN(NamedCalendar old, getCalendar(tx.session(), tenant, id));
  TING_ASSIGN_OR_RETURN(store::Row used,
                        tx.session().queryOne("SELECT COUNT(*) FROM sla_policies WHERE "
                                              "tenant_id = ? AND calendar_id = ?",
                                              {tenant, id}));
  if (used.integer(0) > 0) {
    return conflict("the calendar is used by an SLA policy", "id").withReason("in_use");
  }
  TING_RETURN_IF_ERROR(tx.session().exec(
      "DELETE FROM business_calendars WHERE tenant_id = ? AND id = ?", {tenant, id}));
  return tx.audit({.entity = "business_calendar",
                   .entity_id = std::to_string(id),
                   .action = "delete",
                   .before_json = boost::json::serialize(toJson(old))});
}

Status slaEvent(store::Tx& tx, std::int64_t work_order_id, std::int64_t clock_id,
                const std::string& clock, const std::string& kind, boost::json::object detail) {
  const std::int64_t tenant = tx.actor().tenant_id;
  const std::string detail_json = boost::json::serialize(detail);
  if (clock_id == kClockJustInserted) {
    TING_RETURN_IF_ERROR(tx.session().defer(
        "INSERT INTO sla_events (tenant_id, work_order_id, clock_id, clock, kind, at, detail) "
        "VALUES (?, ?, " +
            std::string(tx.session().lastInsertId()) + ", ?, ?, ?, ?)",
        {tenant, work_order_id, store::textOrNull(clock), kind, tx.now(), detail_json}));
  } else {
    TING_RETURN_IF_ERROR(tx.session().defer(
        "INSERT INTO sla_events (tenant_id, work_order_id, clock_id, clock, kind, at, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        {tenant, work_order_id, clock_id == 0 ? store::nullValue() : store::Value(clock_id),
         store::textOrNull(clock), kind, tx.now(), detail_json}));
  }
  if (kind == "warning" || kind == "breached" || kind == "escalated" || kind == "extended") {
    detail["work_order_id"] = work_order_id;
    detail["clock"] = clock;
    tx.emit({"work_orders", "work_order.sla_" + kind, tx.actor().tenant_id, 0,
             boost::json::serialize(detail)});
  }
  return Status::ok();
}

namespace {

// The first active policy matching w, in position order.
std::optional<SlaPolicy> matchPolicy(const WorkOrder& w, int vip_level,
                                     const std::vector<SlaPolicy>& policies,
                                     const std::vector<Category>& categories) {
  std::vector<std::int64_t> path;
  if (w.category_id) path = categoryPath(categories, *w.category_id);
  for (const auto& p : policies) {
    if (!p.active) continue;
    if (!p.type.empty() && p.type != w.type) continue;
    if (!p.priority.empty() && p.priority != w.priority) continue;
    if (p.min_vip_level && vip_level < *p.min_vip_level) continue;
    if (p.category_id && std::find(path.begin(), path.end(), *p.category_id) == path.end()) {
      continue;
    }
    return p;
  }
  return std::nullopt;
}

Result<std::optional<SlaPolicy>> matchPolicy(store::Session& s, const WorkOrder& w, int vip_level) {
  std::vector<SlaPolicy> policies;
  std::vector<Category> categories;
  TING_RETURN_IF_ERROR(listPoliciesLater(s, w.tenant_id, policies));
  if (w.category_id) TING_RETURN_IF_ERROR(listCategoriesLater(s, w.tenant_id, categories));
  TING_RETURN_IF_ERROR(s.flush());
  return matchPolicy(w, vip_level, policies, categories);
}

}  // namespace

Result<ClockPlan> planClocks(store::Tx& tx, WorkOrder& w, int vip_level,
                             const std::vector<SlaPolicy>& policies,
                             const std::vector<Category>& categories) {
  ClockPlan plan;
  const std::optional<SlaPolicy> match = matchPolicy(w, vip_level, policies, categories);
  const SlaPolicy* chosen = match ? &*match : nullptr;
  if (!chosen) return plan;
  w.sla_policy_id = chosen->id;
  TING_ASSIGN_OR_RETURN(BusinessCalendar cal,
                        calendarById(tx.session(), w.tenant_id, chosen->calendar_id));
  for (const char* kind : {kFirstResponse, kResolution}) {
    auto minutes = targetMinutes(*chosen, kind);
    if (!minutes) continue;
    const std::int64_t target = *minutes * kMinute;
    plan.clocks.push_back({kind, chosen->calendar_id, target, chosen->warn_percent,
                           cal.addBusinessTime(tx.now(), target),
                           cal.addBusinessTime(tx.now(), target * chosen->warn_percent / 100)});
  }
  if (chosen->regulatory) {
    const Regulatory& r = *chosen->regulatory;
    const UnixMillis due =
        r.working_days ? addWorkingDays(cal, tx.now(), r.days) : tx.now() + r.days * kDay;
    // Warned with a fifth of the time left, whatever the policy's share.
    plan.clocks.push_back(
        {kRegulatory, std::nullopt, due - tx.now(), 80, due, tx.now() + (due - tx.now()) * 4 / 5});
  }
  for (const auto& c : plan.clocks) {
    if (!w.sla_due_at || c.due_at < *w.sla_due_at) w.sla_due_at = c.due_at;
  }
  return plan;
}

Status startPlannedClocks(store::Tx& tx, const WorkOrder& w, const ClockPlan& plan) {
  for (const auto& c : plan.clocks) {
    TING_RETURN_IF_ERROR(insertClock(tx, w, c.kind, c.calendar_id, c.target_ms, c.warn_percent,
                                     c.due_at, c.warn_at));
  }
  return Status::ok();
}

Status startClock(store::Tx& tx, const WorkOrder& w, const std::string& kind) {
  TING_ASSIGN_OR_RETURN(std::optional<SlaPolicy> policy, policyOf(tx.session(), w));
  if (!policy) return Status::ok();
  auto minutes = targetMinutes(*policy, kind);
  if (!minutes) return Status::ok();
  TING_ASSIGN_OR_RETURN(BusinessCalendar cal,
                        calendarById(tx.session(), w.tenant_id, policy->calendar_id));
  const std::int64_t target = *minutes * kMinute;
  const UnixMillis due = cal.addBusinessTime(tx.now(), target);
  const UnixMillis warn = cal.addBusinessTime(tx.now(), target * policy->warn_percent / 100);
  TING_RETURN_IF_ERROR(
      insertClock(tx, w, kind, policy->calendar_id, target, policy->warn_percent, due, warn));
  if (w.waiting_on_customer) return pauseClocks(tx, w);
  return Status::ok();
}

Status startDepartmentClock(store::Tx& tx, const WorkOrder& w) {
  if (!w.department_due_at) return Status::ok();
  TING_ASSIGN_OR_RETURN(std::optional<SlaPolicy> policy, policyOf(tx.session(), w));
  const int warn_percent = policy ? policy->warn_percent : 80;
  const UnixMillis due = *w.department_due_at;
  const std::int64_t target = std::max<std::int64_t>(0, due - tx.now());
  TING_RETURN_IF_ERROR(insertClock(tx, w, kDepartment, std::nullopt, target, warn_percent, due,
                                   tx.now() + target * warn_percent / 100));
  if (w.waiting_on_customer) return pauseClocks(tx, w);
  return Status::ok();
}

Status replanClocks(store::Tx& tx, WorkOrder& w, int vip_level) {
  TING_ASSIGN_OR_RETURN(std::optional<SlaPolicy> chosen, matchPolicy(tx.session(), w, vip_level));
  const std::optional<std::int64_t> to =
      chosen ? std::optional<std::int64_t>(chosen->id) : std::nullopt;
  if (to == w.sla_policy_id) return Status::ok();
  auto idJson = [](const std::optional<std::int64_t>& id) {
    return id ? boost::json::value(*id) : boost::json::value(nullptr);
  };
  TING_RETURN_IF_ERROR(slaEvent(tx, w.id, 0, "policy", "policy_changed",
                                {{"from", idJson(w.sla_policy_id)}, {"to", idJson(to)}}));
  w.sla_policy_id = to;
  TING_RETURN_IF_ERROR(tx.session().exec("UPDATE work_orders SET sla_policy_id = ? WHERE id = ?",
                                         {store::intOrNull(to), w.id}));
  std::optional<BusinessCalendar> cal;
  if (chosen) {
    TING_ASSIGN_OR_RETURN(cal, calendarById(tx.session(), w.tenant_id, chosen->calendar_id));
  }
  TING_ASSIGN_OR_RETURN(std::vector<Clock> clocks,
                        clocksOf(tx.session(), w.id, "AND status IN ('running', 'paused')"));
  for (auto& c : clocks) {
    // The regulator's deadline runs from receipt whatever the policy; the
    // department's is the instant its dispatcher gave.
    if (c.kind == kRegulatory || c.kind == kDepartment) continue;
    c.status = "cancelled";
    TING_RETURN_IF_ERROR(writeClock(tx, c, nullptr));
    TING_RETURN_IF_ERROR(
        slaEvent(tx, w.id, c.id, c.kind, "cancelled",
                 {{"due_at", formatTimestamp(c.due_at)}, {"reason", "policy_changed"}}));
    if (!chosen) continue;
    auto minutes = targetMinutes(*chosen, c.kind);
    if (!minutes) continue;
    // The new target counts from when the clock first started.
    const std::int64_t target = *minutes * kMinute;
    TING_RETURN_IF_ERROR(
        insertClock(tx, w, c.kind, chosen->calendar_id, target, chosen->warn_percent,
                    cal->addBusinessTime(c.started_at, target),
                    cal->addBusinessTime(c.started_at, target * chosen->warn_percent / 100)));
  }
  if (w.waiting_on_customer) TING_RETURN_IF_ERROR(pauseClocks(tx, w));
  return refreshDue(tx, w);
}

Status stopClocks(store::Tx& tx, const WorkOrder& w, const std::vector<std::string>& kinds,
                  bool cancel) {
  TING_ASSIGN_OR_RETURN(std::vector<Clock> clocks,
                        clocksOf(tx.session(), w.id, "AND status IN ('running', 'paused')"));
  for (auto& c : clocks) {
    if (std::find(kinds.begin(), kinds.end(), c.kind) == kinds.end()) continue;
    // Past due is missed even when the sweep has not yet marked the breach.
    const bool late = c.breached_at || (c.status == "running" && tx.now() > c.due_at);
    c.status = cancel ? "cancelled" : late ? "missed" : "met";
    TING_RETURN_IF_ERROR(writeClock(tx, c, nullptr));
    TING_RETURN_IF_ERROR(
        slaEvent(tx, w.id, c.id, c.kind, c.status, {{"due_at", formatTimestamp(c.due_at)}}));
  }
  return Status::ok();
}

Status pauseClocks(store::Tx& tx, const WorkOrder& w) {
  TING_ASSIGN_OR_RETURN(std::vector<Clock> clocks,
                        clocksOf(tx.session(), w.id, "AND status = 'running'"));
  for (auto& c : clocks) {
    // The regulator's deadline runs on whatever the customer does.
    if (c.kind == kRegulatory) continue;
    TING_ASSIGN_OR_RETURN(BusinessCalendar cal,
                          calendarById(tx.session(), w.tenant_id, c.calendar_id));
    c.status = "paused";
    c.paused_at = tx.now();
    c.remaining_ms = c.due_at > tx.now() ? cal.businessTimeBetween(tx.now(), c.due_at)
                                         : -cal.businessTimeBetween(c.due_at, tx.now());
    TING_RETURN_IF_ERROR(writeClock(tx, c, nullptr));
    TING_RETURN_IF_ERROR(
        slaEvent(tx, w.id, c.id, c.kind, "paused", {{"remaining_ms", *c.remaining_ms}}));
  }
  return Status::ok();
}

Status resumeClocks(store::Tx& tx, const WorkOrder& w) {
  TING_ASSIGN_OR_RETURN(std::optional<SlaPolicy> policy, policyOf(tx.session(), w));
  TING_ASSIGN_OR_RETURN(std::vector<Clock> clocks,
                        clocksOf(tx.session(), w.id, "AND status = 'paused'"));
  for (auto& c : clocks) {
    TING_ASSIGN_OR_RETURN(BusinessCalendar cal,
                          calendarById(tx.session(), w.tenant_id, c.calendar_id));
    const std::int64_t remaining = c.remaining_ms.value_or(0);
    if (remaining > 0) {
      c.due_at = cal.addBusinessTime(tx.now(), remaining);
      if (!c.warned) {
        const std::int64_t before_warn = remaining - c.target_ms * (100 - c.warn_percent) / 100;
        c.warn_at = before_warn > 0 ? cal.addBusinessTime(tx.now(), before_warn) : tx.now();
      }
    } else {
      // Paused after the breach: the due time stays in the past.
      c.due_at = std::min(c.due_at, tx.now());
    }
    c.status = "running";
    const std::int64_t paused_ms = tx.now() - c.paused_at.value_or(tx.now());
    c.paused_at.reset();
    c.remaining_ms.reset();
    TING_RETURN_IF_ERROR(writeClock(tx, c, policy ? &*policy : nullptr));
    TING_RETURN_IF_ERROR(
        slaEvent(tx, w.id, c.id, c.kind, "resumed",
                 {{"due_at", formatTimestamp(c.due_at)}, {"paused_ms", paused_ms}}));
  }
  return Status::ok();
}

Status refreshDue(store::Tx& tx, WorkOrder& w) {
  TING_ASSIGN_OR_RETURN(
      store::Row row,
      tx.session().queryOne("SELECT MIN(CASE WHEN status = 'running' THEN due_at END), "
                            "MAX(CASE WHEN breached_at IS NOT NULL AND status IN ('running', "
                            "'paused', 'missed') THEN 1 ELSE 0 END) FROM sla_clocks WHERE "
                            "work_order_id = ?",
                            {w.id}));
  w.sla_due_at = row.isNull(0) ? std::nullopt : std::optional<UnixMillis>(row.integer(0));
  w.sla_breached = row.integer(1) != 0;
  return tx.session().exec("UPDATE work_orders SET sla_due_at = ?, sla_breached = ? WHERE id = ?",
                           {w.sla_due_at.value_or(std::numeric_limits<std::int64_t>::max()),
                            std::int64_t{w.sla_breached ? 1 : 0}, w.id});
}

Result<bool> regulatoryExtensionNeedsApproval(store::Session& s, const WorkOrder& w) {
  TING_ASSIGN_OR_RETURN(std::vector<Clock> clocks,
                        clocksOf(s, w.id, "AND kind = 'regulatory' AND status = 'running'"));
  if (clocks.empty()) {
    return conflict("the work order has no running regulatory deadline", "regulatory")
        .withReason("no_regulatory_clock");
  }
  if (clocks[0].extensions >= 2) {
    return conflict("the regulatory deadline was extended twice already", "regulatory")
        .withReason("no_more_extensions");
  }
  return clocks[0].extensions == 1;
}

Status extendRegulatory(store::Tx& tx, const WorkOrder& w, const std::string& reason,
                        bool approved) {
  TING_ASSIGN_OR_RETURN(bool needs, regulatoryExtensionNeedsApproval(tx.session(), w));
  if (needs && !approved) {
    return Status(StatusCode::kPermissionDenied,
                  "the second extension needs a supervisor's approval")
        .withReason("approval_required");
  }
  TING_ASSIGN_OR_RETURN(std::optional<SlaPolicy> policy, policyOf(tx.session(), w));
  const Regulatory r = policy && policy->regulatory ? *policy->regulatory : Regulatory{};
  TING_ASSIGN_OR_RETURN(
      std::vector<Clock> clocks,
      clocksOf(tx.session(), w.id, "AND kind = 'regulatory' AND status = 'running'"));
  Clock& c = clocks.at(0);
  TING_ASSIGN_OR_RETURN(
      BusinessCalendar cal,
      calendarById(tx.session(), w.tenant_id, policy ? policy->calendar_id : std::nullopt));
  const UnixMillis old_due = c.due_at;
  if (c.extensions == 0) {
    c.due_at = r.working_days ? addWorkingDays(cal, c.started_at, r.extend_to_days)
                              : c.started_at + r.extend_to_days * kDay;
  } else {
    c.due_at = r.working_days ? addWorkingDays(cal, c.due_at, r.extra_days)
                              : c.due_at + r.extra_days * kDay;
  }
  c.extensions += 1;
  c.target_ms = c.due_at - c.started_at;
  c.warn_at = c.due_at - (c.due_at - tx.now()) / 5;
  c.warned = false;
  c.breached_at.reset();
  TING_RETURN_IF_ERROR(writeClock(tx, c, nullptr));
  return slaEvent(tx, w.id, c.id, c.kind, "extended",
                  {{"from", formatTimestamp(old_due)},
                   {"to", formatTimestamp(c.due_at)},
                   {"extension", c.extensions},
                   {"reason", reason}});
}

Result<boost::json::object> slaOf(store::Session& s, std::int64_t tenant_id, std::int64_t id) {
  TING_ASSIGN_OR_RETURN(WorkOrder w, getWorkOrder(s, tenant_id, id));
  TING_ASSIGN_OR_RETURN(std::vector<Clock> clocks, clocksOf(s, w.id, ""));
  boost::json::array clocks_json;
  for (const auto& c : clocks) clocks_json.push_back(clockJson(c));
  TING_ASSIGN_OR_RETURN(store::Rows rows,
                        s.query("SELECT id, clock_id, clock, kind, at, detail FROM sla_events "
                                "WHERE work_order_id = ? ORDER BY id",
                                {w.id}));
  boost::json::array events;
  for (const auto& r : rows) {
    events.push_back(
        {{"id", r.integer(0)},
         {"clock_id", r.isNull(1) ? boost::json::value(nullptr) : boost::json::value(r.integer(1))},
         {"clock", r.isNull(2) ? boost::json::value(nullptr) : boost::json::value(r.text(2))},
         {"kind", r.text(3)},
         {"at", formatTimestamp(r.integer(4))},
         {"detail", parseJson(r.text(5))}});
  }
  return boost::json::object{{"policy_id", optInt(w.sla_policy_id)},
                             {"clocks", std::move(clocks_json)},
                             {"events", std::move(events)}};
}

Status escalate(store::Tx& tx, WorkOrder& w, int level, const std::string& reason,
                boost::json::object detail) {
  detail["level"] = level;
  detail["reason"] = reason;
  if (level > w.escalation_level) {
    const WorkOrder before = w;
    w.escalation_level = level;
    TING_RETURN_IF_ERROR(saveWorkOrder(tx, before, w, "escalate", detail));
  }
  return slaEvent(tx, w.id, 0, "", "escalated", detail);
}

Result<int> sweepSla(store::Store& store, int limit) {
  const UnixMillis now = store.clock().nowMillis();
  store::Rows due;
  TING_RETURN_IF_ERROR(store.read([&](store::Session& s) -> Status {
    TING_ASSIGN_OR_RETURN(due, s.query("SELECT id, tenant_id FROM sla_clocks WHERE "
                                       "next_check_at <= ? ORDER BY next_check_at LIMIT ?",
                                       {now, std::int64_t{limit}}));
    return Status::ok();
  }));
  int handled = 0;
  for (const auto& row : due) {
    const std::int64_t clock_id = row.integer(0);
    store::Actor actor{.tenant_id = row.integer(1), .user_id = 0, .name = "sla"};
    Status st = store.write(actor, [&](store::Tx& tx) -> Status {
      TING_ASSIGN_OR_RETURN(store::Row r,
                            tx.session().queryOne(std::string("SELECT ") + kClockColumns +
                                                      " FROM sla_clocks WHERE id = ?",
                                                  {clock_id}));
      Clock c = clockFromRow(r);
      if (c.status != "running") return writeClock(tx, c, nullptr);
      TING_ASSIGN_OR_RETURN(WorkOrder w, getWorkOrder(tx.session(), c.tenant_id, c.work_order_id));
      TING_ASSIGN_OR_RETURN(std::optional<SlaPolicy> policy, policyOf(tx.session(), w));
      const SlaPolicy* p = policy ? &*policy : nullptr;
      const UnixMillis at = tx.now();
      if (!c.warned && at >= c.warn_at && at < c.due_at) {
        c.warned = true;
        TING_RETURN_IF_ERROR(
            slaEvent(tx, w.id, c.id, c.kind, "warning",
                     {{"due_at", formatTimestamp(c.due_at)}, {"reference", w.reference}}));
      }
      if (!c.breached_at && at >= c.due_at) {
        c.warned = true;
        c.breached_at = c.due_at;
        TING_RETURN_IF_ERROR(
            slaEvent(tx, w.id, c.id, c.kind, "breached",
                     {{"due_at", formatTimestamp(c.due_at)}, {"reference", w.reference}}));
      }
      // Escalation levels whose time has come, in order.
      while (c.breached_at && p &&
             c.escalation_level < static_cast<int>(p->escalations.size()) &&
             at >= *c.breached_at + p->escalations[c.escalation_level].after_minutes * kMinute) {
        const Escalation& e = p->escalations[c.escalation_level];
        c.escalation_level += 1;
        boost::json::object detail{
            {"clock", c.kind}, {"action", e.action}, {"reference", w.reference}};
        if (!e.role.empty()) detail["notify_role"] = e.role;
        if (e.user_id) detail["user_id"] = *e.user_id;
        if (e.action == "reassign" && e.user_id && w.owner_id != e.user_id) {
          const WorkOrder before = w;
          w.owner_id = e.user_id;
          TING_RETURN_IF_ERROR(saveWorkOrder(tx, before, w, "reassign", {{"by", "sla"}}));
        }
        TING_RETURN_IF_ERROR(escalate(tx, w, c.escalation_level, "sla_breach", detail));
      }
      TING_RETURN_IF_ERROR(writeClock(tx, c, p));
      return refreshDue(tx, w);
    });
    if (!st.isOk()) return st;
    ++handled;
  }
  return handled;
}

}  // namespace ting::workorders
