#pragma once
// Logins, tokens and sessions. Passwords are checked with argon2id; tokens are
// 256 random bits handed out once and stored only as their SHA-256. Repeated
// failures first slow a login down, then lock the account for a while.

#include <atomic>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "common/crypto.h"
#include "identity/tenants.h"
#include "identity/users.h"
#include "store/store.h"

namespace ting::identity {

// The authenticated caller of a request.
struct Principal {
  std::int64_t session_id = 0;
  std::int64_t user_id = 0;
  std::int64_t tenant_id = 0;
  std::string tenant_slug;
  std::string tenant_name;
  std::string username;
  std::string display_name;
  Role role = Role::kAgent;
  UnixMillis expires_at = 0;

  store::Actor actor(std::string request_id) const {
    return {tenant_id, user_id, username, std::move(request_id)};
  }
};

struct AuthOptions {
  int token_ttl_s = 12 * 3600;
  int backoff_after = 3;
  int max_failed_logins = 10;
  int lockout_s = 15 * 60;
  PasswordParams password;
};

struct LoginResult {
  std::string token;  // shown to the caller once, never stored
  Principal principal;
  User user;
};

// Why a login was refused, beyond the Status: the API's error code and, for
// throttling, how long to wait.
struct LoginRefusal {
  std::string code;  // invalid_credentials, too_many_attempts, account_locked
  int retry_after_s = 0;
};

class AuthService {
 public:
  AuthService(store::Store& store, EventBus& bus, AuthOptions options);
  ~AuthService();
  AuthService(const AuthService&) = delete;
  AuthService& operator=(const AuthService&) = delete;

  // kUnauthenticated or kResourceExhausted with `refusal` filled in.
  Result<LoginResult> login(const std::string& tenant_slug, const std::string& login,
                            const std::string& password, const std::string& request_id,
                            LoginRefusal& refusal);
  // The principal behind a bearer token, or kUnauthenticated. Served from a
  // cache for up to kCacheSeconds; revocations on this node apply at once.
  Result<Principal> authenticate(std::string_view token);
  Status logout(const Principal& principal, const std::string& request_id);

  static constexpr int kCacheSeconds = 30;

 private:
  struct CacheEntry {
    Principal principal;
    UnixMillis cached_at;
  };
  void forgetUser(std::int64_t user_id);
  void forgetSession(std::int64_t session_id);
  Status recordFailure(const User& user, const std::string& request_id, LoginRefusal& refusal);
  void burnDummyVerify(const std::string& password);

  store::Store& store_;
  EventBus& bus_;
  AuthOptions options_;
  EventBus::SubscriptionId subscription_ = 0;
  std::shared_mutex cache_mu_;                         // guards cache_
  std::unordered_map<std::string, CacheEntry> cache_;  // token hash → principal
  std::atomic<std::uint64_t> generation_{0};           // bumped by every forget*, under cache_mu_
  std::once_flag dummy_once_;
  std::string dummy_hash_;  // verified against for unknown users, so timing reveals nothing
};

}  // namespace ting::identity
