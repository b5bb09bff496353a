#include "server/demo.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <future>

#include "crm/customers.h"
#include "identity/tenants.h"
#include "identity/users.h"

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

}  // namespace

Status seedDemo(store::Store& store, const std::string& password, const PasswordParams& params) {
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
    if (created) {
      for (const auto& dc : kDemoCustomers) {
        crm::CustomerFields f;
        f.name = dc.name;
        f.phone = dc.phone;
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
