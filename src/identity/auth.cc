#include "identity/auth.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <mutex>

namespace ting::identity {

namespace {

constexpr char kTokenPrefix[] = "tk_";
constexpr size_t kCacheLimit = 200000;

}  // namespace

AuthService::AuthService(store::Store& store, EventBus& bus, AuthOptions options)
    : store_(store), bus_(bus), options_(options) {
  subscription_ = bus_.subscribe([this](const DomainEvent& e) {
    if (e.name != "user.updated") return;
    boost::system::error_code ec;
    auto v = boost::json::parse(e.data_json, ec);
    if (ec || !v.is_object()) return;
    if (auto* id = v.as_object().if_contains("id"); id && id->is_int64()) {
      forgetUser(id->as_int64());
    }
  });
}

AuthService::~AuthService() {
  bus_.unsubscribe(subscription_);
}

void AuthService::burnDummyVerify(const std::string& password) {
  std::call_once(dummy_once_, [&] {
    auto h = hashPassword(randomPassword(16), options_.password);
    dummy_hash_ = h.isOk() ? *h : std::string();
  });
  (void)verifyPassword(password, dummy_hash_);
}

Status AuthService::recordFailure(const User& user, const std::string& request_id,
                                  LoginRefusal& refusal) {
  const UnixMillis now = store_.clock().nowMillis();
  UnixMillis locked_until = 0;
  store::Actor actor{user.tenant_id, user.id, user.username, request_id};
  Status s = store_.write(actor, [&](store::Tx& tx) -> Status {
    // Counted in the database, not from what this request read earlier, so
    // parallel guesses each count.
    TING_ASSIGN_OR_RETURN(
        store::Row row, tx.session().queryOne("UPDATE users SET failed_logins = failed_logins + 1, "
                                              "last_failed_at = ? WHERE tenant_id = ? AND id = ? "
                                              "RETURNING failed_logins",
                                              {now, user.tenant_id, user.id}));
    if (row.integer(0) >= options_.max_failed_logins) {
      locked_until = now + std::int64_t{options_.lockout_s} * 1000;
      // A fresh count once the lock expires.
      TING_RETURN_IF_ERROR(tx.session().exec(
          "UPDATE users SET failed_logins = 0, locked_until = ? WHERE tenant_id = ? AND id = ?",
          {locked_until, user.tenant_id, user.id}));
    }
    return tx.audit({.entity = "user",
                     .entity_id = std::to_string(user.id),
                     .action = locked_until ? "locked" : "login_failed",
                     .tenant_id = user.tenant_id});
  });
  if (!s.isOk()) return s;
  if (locked_until) {
    spdlog::warn("req={} account {}@{} locked for {} s after repeated failed logins", request_id,
                 user.username, user.tenant_id, options_.lockout_s);
    refusal = {"account_locked", options_.lockout_s};
    return {StatusCode::kResourceExhausted, "too many failed logins: the account is locked"};
  }
  refusal = {"invalid_credentials", 0};
  return {StatusCode::kUnauthenticated, "wrong tenant, username or password"};
}

Result<LoginResult> AuthService::login(const std::string& tenant_slug, const std::string& login,
                                       const std::string& password, const std::string& request_id,
                                       LoginRefusal& refusal) {
  const Status wrong{StatusCode::kUnauthenticated, "wrong tenant, username or password"};
  refusal = {"invalid_credentials", 0};
  std::optional<Tenant> tenant;
  std::optional<std::pair<User, Credentials>> found;
  TING_RETURN_IF_ERROR(store_.read([&](store::Session& session) -> Status {
    auto t = findTenantBySlug(session, tenant_slug);
    if (!t.isOk()) return t.status().code() == StatusCode::kNotFound ? Status::ok() : t.status();
    tenant = *t;
    auto u = findUserForLogin(session, tenant->id, login);
    if (!u.isOk()) return u.status().code() == StatusCode::kNotFound ? Status::ok() : u.status();
    found = *u;
    return Status::ok();
  }));
  if (!found) {
    burnDummyVerify(password);
    return wrong;
  }
  const User& user = found->first;
  const Credentials& creds = found->second;
  const UnixMillis now = store_.clock().nowMillis();
  if (creds.locked_until > now) {
    refusal = {"account_locked", static_cast<int>((creds.locked_until - now + 999) / 1000)};
    return Status{StatusCode::kResourceExhausted, "too many failed logins: the account is locked"};
  }
  if (creds.failed_logins >= options_.backoff_after) {
    int exponent = std::min(creds.failed_logins - options_.backoff_after, 6);
    UnixMillis wait_ms = std::min<UnixMillis>(60000, UnixMillis{1000} << exponent);
    UnixMillis next = creds.last_failed_at + wait_ms;
    if (now < next) {
      refusal = {"too_many_attempts", static_cast<int>((next - now + 999) / 1000)};
      return Status{StatusCode::kResourceExhausted, "too many failed logins: wait and retry"};
    }
  }
  if (!verifyPassword(password, creds.password_hash)) {
    return recordFailure(user, request_id, refusal);
  }
  if (user.disabled) return wrong;

  LoginResult result;
  result.token = kTokenPrefix + randomToken(32);
  result.user = user;
  Principal& p = result.principal;
  p.user_id = user.id;
  p.tenant_id = user.tenant_id;
  p.tenant_slug = tenant->slug;
  p.tenant_name = tenant->name;
  p.username = user.username;
  p.display_name = user.display_name;
  p.role = user.role;
  p.expires_at = now + std::int64_t{options_.token_ttl_s} * 1000;
  store::Actor actor{user.tenant_id, user.id, user.username, request_id};
  Status written = store_.write(actor, [&](store::Tx& tx) -> Status {
    TING_ASSIGN_OR_RETURN(
        store::Row row,
        // Only while the password just verified is still the user's and the
        // user is enabled: a reset or disable racing this login wins.
        tx.session().queryOne(
            "INSERT INTO sessions (tenant_id, user_id, token_hash, created_at, expires_at) "
            "SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), "
            "CAST(? AS BIGINT) WHERE EXISTS (SELECT 1 FROM users WHERE tenant_id = ? AND id = ? "
            "AND password_hash = ? AND disabled = 0) RETURNING id",
            {user.tenant_id, user.id, sha256Hex(result.token), tx.now(), p.expires_at,
             user.tenant_id, user.id, creds.password_hash}));
    p.session_id = row.integer(0);
    if (creds.failed_logins != 0) {
      TING_RETURN_IF_ERROR(
          tx.session().exec("UPDATE users SET failed_logins = 0 WHERE tenant_id = ? AND id = ?",
                            {user.tenant_id, user.id}));
    }
    return tx.audit({.entity = "session",
                     .entity_id = std::to_string(p.session_id),
                     .action = "login",
                     .after_json = boost::json::serialize(boost::json::object{
                         {"user_id", user.id}, {"expires_at", formatTimestamp(p.expires_at)}})});
  });
  if (written.code() == StatusCode::kNotFound) return wrong;  // changed meanwhile
  TING_RETURN_IF_ERROR(written);
  return result;
}

Result<Principal> AuthService::authenticate(std::string_view token) {
  const Status invalid{StatusCode::kUnauthenticated, "the token is invalid, expired or revoked"};
  if (token.size() < 10 || token.size() > 100 || token.rfind(kTokenPrefix, 0) != 0) {
    return invalid;
  }
  const std::string hash = sha256Hex(token);
  const UnixMillis now = store_.clock().nowMillis();
  // A revocation between our database read and the cache insert must win.
  const std::uint64_t generation = generation_.load();
  {
    std::shared_lock lock(cache_mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end() && now - it->second.cached_at < std::int64_t{kCacheSeconds} * 1000) {
      if (it->second.principal.expires_at <= now) return invalid;
      return it->second.principal;
    }
  }
  Principal p;
  bool valid = false;
  TING_RETURN_IF_ERROR(store_.read([&](store::Session& session) -> Status {
    TING_ASSIGN_OR_RETURN(
        store::Rows rows,
        session.query("SELECT s.id, s.expires_at, s.revoked_at, u.id, u.tenant_id, u.username, "
                      "u.display_name, u.role, u.disabled, t.slug, t.name FROM sessions s "
                      "JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id "
                      "JOIN tenants t ON t.id = s.tenant_id WHERE s.token_hash = ?",
                      {hash}));
    if (rows.empty()) return Status::ok();
    const auto& r = rows.front();
    if (!r.isNull(2) || r.integer(1) <= now || r.integer(8) != 0) return Status::ok();
    p.session_id = r.integer(0);
    p.expires_at = r.integer(1);
    p.user_id = r.integer(3);
    p.tenant_id = r.integer(4);
    p.username = r.text(5);
    p.display_name = r.text(6);
    p.role = parseRole(r.text(7)).value_or(Role::kAgent);
    p.tenant_slug = r.text(9);
    p.tenant_name = r.text(10);
    valid = true;
    return Status::ok();
  }));
  if (!valid) return invalid;
  std::unique_lock lock(cache_mu_);
  if (generation_.load() != generation) return p;  // valid when read; not cached
  if (cache_.size() >= kCacheLimit) {
    std::erase_if(cache_, [&](const auto& kv) {
      return now - kv.second.cached_at >= std::int64_t{kCacheSeconds} * 1000 ||
             kv.second.principal.expires_at <= now;
    });
    if (cache_.size() >= kCacheLimit) cache_.clear();
  }
  cache_[hash] = {p, now};
  return p;
}

Status AuthService::logout(const Principal& principal, const std::string& request_id) {
  TING_RETURN_IF_ERROR(store_.write(principal.actor(request_id), [&](store::Tx& tx) -> Status {
    TING_RETURN_IF_ERROR(tx.session().exec(
        "UPDATE sessions SET revoked_at = ? WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL",
        {tx.now(), principal.tenant_id, principal.session_id}));
    return tx.audit({.entity = "session",
                     .entity_id = std::to_string(principal.session_id),
                     .action = "logout"});
  }));
  forgetSession(principal.session_id);
  return Status::ok();
}

void AuthService::forgetUser(std::int64_t user_id) {
  std::unique_lock lock(cache_mu_);
  ++generation_;
  std::erase_if(cache_, [&](const auto& kv) { return kv.second.principal.user_id == user_id; });
}

void AuthService::forgetSession(std::int64_t session_id) {
  std::unique_lock lock(cache_mu_);
  ++generation_;
  std::erase_if(cache_,
                [&](const auto& kv) { return kv.second.principal.session_id == session_id; });
}

}  // namespace ting::identity
