#include "server/demo.h"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <cstdio>
#include <future>

#include "crm/customers.h"
#include "identity/tenants.h"
#include "identity/users.h"
#include "ivr/demo_flow.h"
#include "kb/kb.h"
#include "sip/digest.h"
#include "workorders/settings.h"
#include "workorders/sla.h"

namespace ting::server {

namespace {

using identity::Role;

struct DemoUser {
  const char* username;
  const char* display_name;
  Role role;
};

constexpr DemoUser kDemoUsers[] = {
    {"admin", "系统管理员 Admin", Role::kAdmin},
    {"super", "值班主管 Supervisor", Role::kSupervisor},
    {"lead", "组长 Team Lead", Role::kTeamLead},
    {"qa", "质检员 QA", Role::kQaInspector},
    {"1001", "李娜 Li Na", Role::kAgent},
    {"1002", "王强 Wang Qiang", Role::kAgent},
    {"1003", "张敏 Zhang Min", Role::kAgent},
    {"1004", "刘洋 Liu Yang", Role::kAgent},
    {"1005", "陈静 Chen Jing", Role::kAgent},
};

struct DemoCustomer {
  const char* name;
  const char* phone;
  const char* company;
  const char* notes;
  bool vip;
};

constexpr DemoCustomer kDemoCustomers[] = {
    {"赵先生 Mr Zhao", "13800138000", "", "宽带故障多次报修 Broadband repeatedly down", true},
    {"孙女士 Ms Sun", "13911112222", "孙记餐饮 Sun's Kitchen", "账单疑问 Billing question", false},
    {"Emily Clark", "+8613700001111", "Northwind Trading", "Prefers English", false},
    {"周先生 Mr Zhou", "02168881234", "", "投诉快递延误 Complained about late delivery", false},
    {"吴女士 Ms Wu", "13600009999", "吴氏科技 Wu Tech", "VIP 企业客户 Enterprise account", true},
};

// Idempotent: fills in what is missing, and re-derives the agents' SIP HA1
// whenever the demo password is known.
Status seedDemoTelephony(store::Tx& tx, std::int64_t tenant_id, const std::string& password,
                         const std::vector<std::string>& sip_aliases) {
  store::Session& s = tx.session();
  const store::Value tenant = tenant_id;
  TING_ASSIGN_OR_RETURN(auto domain,
                        s.queryOne("SELECT sip_domain FROM tenants WHERE id = ?", {tenant}));
  if (domain.isNull(0)) {
    TING_RETURN_IF_ERROR(s.exec("UPDATE tenants SET sip_domain = ?, updated_at = ? WHERE id = ?",
                                {std::string(kDemoSipDomain), tx.now(), tenant}));
  }
  for (const auto& alias : sip_aliases) {
    TING_ASSIGN_OR_RETURN(auto rows,
                          s.query("SELECT tenant_id FROM sip_aliases WHERE domain = ?", {alias}));
    if (!rows.empty()) continue;
    TING_RETURN_IF_ERROR(
        s.exec("INSERT INTO sip_aliases (tenant_id, domain, created_at) VALUES (?, ?, ?)",
               {tenant, alias, tx.now()}));
    TING_RETURN_IF_ERROR(
        s.exec("INSERT INTO trunks (tenant_id, name, inbound_address, created_at, updated_at) "
               "VALUES (?, ?, ?, ?, ?)",
               {tenant, "local " + alias, alias + "/32", tx.now(), tx.now()}));
  }
  for (const auto& du : kDemoUsers) {
    if (du.role != Role::kAgent || password.empty()) continue;
    TING_RETURN_IF_ERROR(s.exec(
        "UPDATE users SET sip_extension = ?, sip_ha1 = ? WHERE tenant_id = ? AND username = ?",
        {std::string(du.username), sip::digestHa1(du.username, kDemoSipDomain, password), tenant,
         std::string(du.username)}));
  }
  TING_ASSIGN_OR_RETURN(auto flows, s.query("SELECT id FROM ivr_flows WHERE tenant_id = ? AND "
                                            "name = 'hotline'",
                                            {tenant}));
  if (flows.empty()) {
    TING_RETURN_IF_ERROR(
        s.exec("INSERT INTO ivr_flows (tenant_id, name, current_version, created_at, updated_at) "
               "VALUES (?, 'hotline', 1, ?, ?)",
               {tenant, tx.now(), tx.now()}));
    TING_ASSIGN_OR_RETURN(auto flow, s.queryOne("SELECT id FROM ivr_flows WHERE tenant_id = ? "
                                                "AND name = 'hotline'",
                                                {tenant}));
    TING_RETURN_IF_ERROR(
        s.exec("INSERT INTO ivr_flow_versions (tenant_id, flow_id, version, document, created_by, "
               "created_at) VALUES (?, ?, 1, ?, 'system', ?)",
               {tenant, flow.integer(0), std::string(ivr::demoFlowJson()), tx.now()}));
    TING_RETURN_IF_ERROR(
        s.exec("INSERT INTO dids (tenant_id, number, flow_id, created_at, updated_at) VALUES (?, "
               "'4000', ?, ?, ?)",
               {tenant, flow.integer(0), tx.now(), tx.now()}));
  }
  // Queue `support` (the demo IVR's option 1) with the five agents.
  TING_ASSIGN_OR_RETURN(auto queues, s.query("SELECT id FROM queues WHERE tenant_id = ? AND "
                                             "name = 'support'",
                                             {tenant}));
  if (queues.empty()) {
    TING_RETURN_IF_ERROR(
        s.exec("INSERT INTO queues (tenant_id, name, display_name, callback_key, created_at, "
               "updated_at) VALUES (?, 'support', '客户服务 Customer service', '9', ?, ?)",
               {tenant, tx.now(), tx.now()}));
    TING_ASSIGN_OR_RETURN(auto queue, s.queryOne("SELECT id FROM queues WHERE tenant_id = ? AND "
                                                 "name = 'support'",
                                                 {tenant}));
    for (const auto& du : kDemoUsers) {
      if (du.role != Role::kAgent) continue;
      TING_RETURN_IF_ERROR(
          s.exec("INSERT INTO queue_members (tenant_id, queue_id, user_id, tier, created_at) "
                 "SELECT ?, ?, id, 0, ? FROM users WHERE tenant_id = ? AND username = ?",
                 {tenant, queue.integer(0), tx.now(), tenant, std::string(du.username)}));
    }
  }
  return Status::ok();
}

// A category tree, a business calendar and SLA policies, so work orders get
// clocks from the first one. Seeded once, when the tenant has no categories.
Status seedDemoWorkOrders(store::Tx& tx, std::int64_t tenant_id) {
  TING_ASSIGN_OR_RETURN(auto cats, workorders::listCategories(tx.session(), tenant_id));
  if (!cats.empty()) return Status::ok();
  struct Node {
    const char* name;
    const char* name_en;
    std::vector<std::pair<const char*, const char*>> children;
  };
  const Node tree[] = {
      {"账单", "Billing", {{"重复扣费", "Charged twice"}, {"资费争议", "Tariff dispute"}}},
      {"网络", "Network", {{"宽带故障", "Broadband fault"}, {"手机信号", "Mobile signal"}}},
      {"服务", "Service", {{"服务态度", "Staff attitude"}, {"上门延误", "Late home visit"}}},
      {"物流", "Delivery", {{"配送延误", "Late delivery"}, {"货品损坏", "Damaged goods"}}},
  };
  int position = 0;
  for (const auto& n : tree) {
    TING_ASSIGN_OR_RETURN(auto parent, workorders::createCategory(tx, {.parent_id = std::nullopt,
                                                                       .name = n.name,
                                                                       .name_en = n.name_en,
                                                                       .position = position++,
                                                                       .active = true}));
    for (const auto& [zh, en] : n.children) {
      TING_RETURN_IF_ERROR(workorders::createCategory(tx, {.parent_id = parent.id,
                                                           .name = zh,
                                                           .name_en = en,
                                                           .position = position++,
                                                           .active = true})
                               .status());
    }
  }
  const char* kCalendar = R"({"time_zone": "Asia/Shanghai",
      "weekly": {"mon": ["09:00-18:00"], "tue": ["09:00-18:00"], "wed": ["09:00-18:00"],
                 "thu": ["09:00-18:00"], "fri": ["09:00-18:00"], "sat": ["09:00-12:00"]},
      "holidays": ["2026-12-25", "2027-01-01", "2027-02-16", "2027-02-17", "2027-02-18"]})";
  TING_ASSIGN_OR_RETURN(auto cal,
                        workorders::BusinessCalendar::fromJson(boost::json::parse(kCalendar)));
  TING_ASSIGN_OR_RETURN(
      auto saved, workorders::saveCalendar(
                      tx, {.id = 0, .name = "工作时间 Office hours", .calendar = std::move(cal)}));
  const std::string calendar = std::to_string(saved.id);
  const std::string policies[] = {
      R"({"name": "VIP 投诉 VIP complaints", "position": 10, "type": "complaint",
          "min_vip_level": 1, "calendar_id": )" +
          calendar + R"(,
          "first_response_minutes": 30, "next_update_minutes": 240, "resolution_minutes": 1080,
          "follow_up_minutes": 1080, "warn_percent": 75,
          "escalations": [{"after_minutes": 0, "action": "notify", "role": "team_lead"},
                          {"after_minutes": 120, "action": "notify", "role": "supervisor"}]})",
      R"({"name": "投诉 Complaints", "position": 20, "type": "complaint", "calendar_id": )" +
          calendar + R"(,
          "first_response_minutes": 60, "next_update_minutes": 480, "resolution_minutes": 2700,
          "follow_up_minutes": 1620,
          "escalations": [{"after_minutes": 0, "action": "notify", "role": "team_lead"}]})",
      R"({"name": "咨询与建议 Inquiries and suggestions", "position": 30, "calendar_id": )" +
          calendar + R"(, "first_response_minutes": 240, "resolution_minutes": 1620})",
      R"json({"name": "银行业监管示例 Banking regulator (example)", "position": 40,
          "active": false, "type": "complaint",
          "regulatory": {"days": 15, "extend_to_days": 30, "extra_days": 30}})json",
  };
  for (const auto& json : policies) {
    TING_ASSIGN_OR_RETURN(auto p,
                          workorders::policyFromJson(tx.session(), tenant_id,
                                                     boost::json::parse(json).as_object(), {}));
    TING_RETURN_IF_ERROR(workorders::savePolicy(tx, p).status());
  }
  return Status::ok();
}

}  // namespace

Status seedDemo(store::Store& store, const std::string& password, const PasswordParams& params,
                const std::vector<std::string>& sip_aliases) {
  store::Actor actor{0, 0, "system", "demo-seed"};
  std::string chosen = password;
  bool created = false;

  // Which accounts exist, and which need their password (re)set — checked
  // before the transaction, since argon2 is slow and runs in parallel here.
  std::int64_t tenant_id = 0;
  std::vector<std::pair<std::int64_t, std::string>> existing;  // user id, hash
  TING_RETURN_IF_ERROR(store.read([&](store::Session& s) -> Status {
    auto t = identity::findTenantBySlug(s, "demo");
    if (!t.isOk()) return t.status().code() == StatusCode::kNotFound ? Status::ok() : t.status();
    tenant_id = t->id;
    for (const auto& du : kDemoUsers) {
      auto u = identity::findUserForLogin(s, tenant_id, du.username);
      if (u.isOk()) existing.emplace_back(u->first.id, u->second.password_hash);
    }
    return Status::ok();
  }));
  if (tenant_id == 0 && chosen.empty()) chosen = randomPassword(12);

  std::vector<std::int64_t> stale;  // users whose password differs from `chosen`
  if (!chosen.empty() && !existing.empty()) {
    std::vector<std::future<bool>> checks;
    checks.reserve(existing.size());
    for (const auto& [id, hash] : existing) {
      checks.push_back(std::async(std::launch::async,
                                  [&chosen, h = hash] { return verifyPassword(chosen, h); }));
    }
    for (size_t i = 0; i < checks.size(); ++i) {
      if (!checks[i].get()) stale.push_back(existing[i].first);
    }
  }

  TING_RETURN_IF_ERROR(store.write(actor, [&](store::Tx& tx) -> Status {
    if (tenant_id == 0) {
      TING_ASSIGN_OR_RETURN(auto tenant, identity::createTenant(tx, "demo", "演示租户 Demo"));
      tenant_id = tenant.id;
      created = true;
    }
    tx.setTenant(tenant_id);
    for (const auto& du : kDemoUsers) {
      auto found = identity::findUserByUsername(tx.session(), tenant_id, du.username);
      if (found.isOk()) continue;
      if (found.status().code() != StatusCode::kNotFound) return found.status();
      if (chosen.empty()) continue;  // no password to give a recreated account
      identity::NewUser nu{du.username, chosen, du.role, du.display_name, ""};
      auto u = identity::createUser(tx, tenant_id, nu, params);
      if (!u.isOk()) return u.status();
    }
    for (std::int64_t id : stale) {
      identity::UserPatch patch;
      patch.password = chosen;
      auto u = identity::updateUser(tx, tenant_id, id, patch, params);
      if (!u.isOk()) return u.status();
    }
    TING_RETURN_IF_ERROR(seedDemoTelephony(tx, tenant_id, chosen, sip_aliases));
    TING_RETURN_IF_ERROR(seedDemoWorkOrders(tx, tenant_id));
    // Articles and scripts once (a default an admin deleted stays deleted).
    TING_ASSIGN_OR_RETURN(
        auto kb_count,
        tx.session().queryOne("SELECT COUNT(*) FROM kb_entries WHERE tenant_id = ?", {tenant_id}));
    if (kb_count.integer(0) == 0) TING_RETURN_IF_ERROR(kb::installDefaults(tx).status());
    if (created) {
      for (const auto& dc : kDemoCustomers) {
        crm::CustomerFields f;
        f.name = dc.name;
        f.phones = std::vector<std::string>{dc.phone};
        f.company = dc.company;
        f.notes = dc.notes;
        f.vip = dc.vip;
        auto c = crm::createCustomer(tx, f);
        if (!c.isOk()) return c.status();
      }
    }
    return Status::ok();
  }));
  if (created) {
    spdlog::info("demo tenant 'demo' seeded");
    if (password.empty()) {
      // Printed once, on the console only, so the operator can log in.
      std::printf(
          "Demo tenant created. Log in as admin, super, lead, qa or 1001-1005 with "
          "password: %s\n",
          chosen.c_str());
      std::fflush(stdout);
    }
  } else if (!stale.empty()) {
    spdlog::info("demo password applied to {} demo accounts", stale.size());
  }
  return Status::ok();
}

}  // namespace ting::server
