#include "server/demo.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <future>

#include "crm/customers.h"
#include "identity/tenants.h"
#include "identity/users.h"
#include "ivr/demo_flow.h"
#include "sip/digest.h"

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
  TING_ASSIGN_OR_RETURN(auto domain, s.queryOne("SELECT sip_domain FROM tenants WHERE id = ?",
                                                {tenant}));
  if (domain.isNull(0)) {
    TING_RETURN_IF_ERROR(s.exec("UPDATE tenants SET sip_domain = ?, updated_at = ? WHERE id = ?",
                                {std::string(kDemoSipDomain), tx.now(), tenant}));
  }
  for (const auto& alias : sip_aliases) {
    TING_ASSIGN_OR_RETURN(auto rows,
                          s.query("SELECT tenant_id FROM sip_aliases WHERE domain = ?", {alias}));
    if (!rows.empty()) continue;
    TING_RETURN_IF_ERROR(s.exec(
        "INSERT INTO sip_aliases (tenant_id, domain, created_at) VALUES (?, ?, ?)",
        {tenant, alias, tx.now()}));
    TING_RETURN_IF_ERROR(s.exec(
        "INSERT INTO trunks (tenant_id, name, inbound_address, created_at, updated_at) "
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
    TING_RETURN_IF_ERROR(s.exec(
        "INSERT INTO ivr_flows (tenant_id, name, current_version, created_at, updated_at) "
        "VALUES (?, 'hotline', 1, ?, ?)",
        {tenant, tx.now(), tx.now()}));
    TING_ASSIGN_OR_RETURN(auto flow, s.queryOne("SELECT id FROM ivr_flows WHERE tenant_id = ? "
                                                "AND name = 'hotline'",
                                                {tenant}));
    TING_RETURN_IF_ERROR(s.exec(
        "INSERT INTO ivr_flow_versions (tenant_id, flow_id, version, document, created_by, "
        "created_at) VALUES (?, ?, 1, ?, 'system', ?)",
        {tenant, flow.integer(0), std::string(ivr::demoFlowJson()), tx.now()}));
    TING_RETURN_IF_ERROR(s.exec(
        "INSERT INTO dids (tenant_id, number, flow_id, created_at, updated_at) VALUES (?, "
        "'4000', ?, ?, ?)",
        {tenant, flow.integer(0), tx.now(), tx.now()}));
  }
  // Queue `support` (the demo IVR's option 1) with the five agents.
  TING_ASSIGN_OR_RETURN(auto queues, s.query("SELECT id FROM queues WHERE tenant_id = ? AND "
                                             "name = 'support'",
                                             {tenant}));
  if (queues.empty()) {
    TING_RETURN_IF_ERROR(s.exec(
        "INSERT INTO queues (tenant_id, name, display_name, callback_key, created_at, "
        "updated_at) VALUES (?, 'support', '客户服务 Customer service', '9', ?, ?)",
        {tenant, tx.now(), tx.now()}));
    TING_ASSIGN_OR_RETURN(auto queue, s.queryOne("SELECT id FROM queues WHERE tenant_id = ? AND "
                                                 "name = 'support'",
                                                 {tenant}));
    for (const auto& du : kDemoUsers) {
      if (du.role != Role::kAgent) continue;
      TING_RETURN_IF_ERROR(s.exec(
          "INSERT INTO queue_members (tenant_id, queue_id, user_id, tier, created_at) "
          "SELECT ?, ?, id, 0, ? FROM users WHERE tenant_id = ? AND username = ?",
          {tenant, queue.integer(0), tx.now(), tenant, std::string(du.username)}));
    }
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
