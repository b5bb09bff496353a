#pragma once
// Users of a tenant: agents (username = staff number, 工号), leads, QA,
// supervisors, admins, department staff; operators in the "system" tenant.

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/crypto.h"
#include "identity/role.h"
#include "store/store.h"

namespace ting::identity {

struct User {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string username;
  std::string display_name;
  std::string phone;  // empty: none
  Role role = Role::kAgent;
  bool disabled = false;
  UnixMillis created_at = 0;
  UnixMillis updated_at = 0;
};

// Login state, kept apart from User so it never leaks into API answers.
struct Credentials {
  std::string password_hash;
  int failed_logins = 0;
  UnixMillis last_failed_at = 0;
  UnixMillis locked_until = 0;
};

// The user as the API and the audit log show it (never the password hash).
boost::json::object toJson(const User& u);

struct NewUser {
  std::string username;
  std::string password;
  Role role = Role::kAgent;
  std::string display_name;
  std::string phone;
};

struct UserPatch {
  std::optional<std::string> display_name;
  std::optional<std::string> phone;  // "" clears it
  std::optional<Role> role;
  std::optional<bool> disabled;
  std::optional<std::string> password;
};

inline constexpr size_t kMinPasswordLength = 8;

Status validateUsername(const std::string& username);
Status validatePassword(const std::string& password, const char* field = "password");
Status validatePhone(const std::string& phone, const char* field = "phone");

// Creates a user in tx's tenant (kConflict when username or phone is taken).
Result<User> createUser(store::Tx& tx, std::int64_t tenant_id, const NewUser& user,
                        const PasswordParams& params);
Result<User> getUser(store::Session& session, std::int64_t tenant_id, std::int64_t id);
Result<User> findUserByUsername(store::Session& session, std::int64_t tenant_id,
                                const std::string& username);
// The user whose username or phone number is `login`, with their credentials.
Result<std::pair<User, Credentials>> findUserForLogin(store::Session& session,
                                                      std::int64_t tenant_id,
                                                      const std::string& login);
// Applies `patch`; a new password also unlocks the account. Audited.
Result<User> updateUser(store::Tx& tx, std::int64_t tenant_id, std::int64_t id,
                        const UserPatch& patch, const PasswordParams& params);

struct UserFilter {
  std::optional<Role> role;
  std::string q;  // substring of username, display name or phone
};
Result<store::Page> listUsers(store::Session& session, std::int64_t tenant_id,
                              const UserFilter& filter, const store::PageRequest& page);
User userFromRow(const store::Row& row);
// The columns userFromRow reads, in order.
extern const char* const kUserColumns;

}  // namespace ting::identity
