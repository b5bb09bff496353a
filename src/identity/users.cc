#include "identity/users.h"

#include <boost/json/serialize.hpp>

namespace ting::identity {

const char* const kUserColumns =
    "id, tenant_id, username, display_name, phone, role, disabled, created_at, updated_at";

User userFromRow(const store::Row& r) {
  User u;
  u.id = r.integer(0);
  u.tenant_id = r.integer(1);
  u.username = r.text(2);
  u.display_name = r.text(3);
  u.phone = r.text(4);
  u.role = parseRole(r.text(5)).value_or(Role::kAgent);
  u.disabled = r.integer(6) != 0;
  u.created_at = r.integer(7);
  u.updated_at = r.integer(8);
  return u;
}

boost::json::object toJson(const User& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"display_name", u.display_name},
          {"phone", u.phone.empty() ? boost::json::value(nullptr) : boost::json::value(u.phone)},
          {"role", roleName(u.role)},
          {"disabled", u.disabled},
          {"created_at", formatTimestamp(u.created_at)},
          {"updated_at", formatTimestamp(u.updated_at)}};
}

Status validateUsername(const std::string& username) {
  if (username.empty() || username.size() > 64) {
    return invalidValue("'username' must be 1 to 64 characters", "username");
  }
  for (unsigned char c : username) {
    if (c <= ' ' || c == 0x7f) return invalidValue("'username' may not hold spaces", "username");
  }
  return Status::ok();
}

Status validatePassword(const std::string& password, const char* field) {
  if (password.size() < kMinPasswordLength) {
    return invalidValue(std::string("'") + field + "' must be at least " +
                            std::to_string(kMinPasswordLength) + " characters",
                        field);
  }
  if (password.size() > 256) {
    return invalidValue(std::string("'") + field + "' must be at most 256 characters", field);
  }
  return Status::ok();
}

Status validatePhone(const std::string& phone, const char* field) {
  if (phone.empty()) return Status::ok();
  size_t digits = 0;
  for (size_t i = 0; i < phone.size(); ++i) {
    char c = phone[i];
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (!(c == '+' && i == 0) && c != '-' && c != ' ') {
      return invalidValue(std::string("'") + field + "' may hold only digits, '+', '-' and spaces",
                          field);
    }
  }
  if (digits < 3 || digits > 20) {
    return invalidValue(std::string("'") + field + "' must have 3 to 20 digits", field);
  }
  return Status::ok();
}

namespace {

Status mapUniqueViolation(const Status& s) {
  if (s.code() != StatusCode::kConflict) return s;
  if (s.message().find("phone") != std::string::npos) {
    return conflict("the phone number is already used by another user", "phone");
  }
  return conflict("the username is already taken", "username");
}

}  // namespace

// Usernames and phone numbers are both login names: neither may equal the
// other kind of another user of the tenant.
static Status checkLoginNamesFree(store::Session& session, std::int64_t tenant_id,
                                  std::int64_t self, const std::string& username,
                                  const std::string& phone) {
  TING_ASSIGN_OR_RETURN(
      store::Rows rows,
      session.query("SELECT id FROM users WHERE tenant_id = ? AND id <> ? AND phone = ?",
                    {tenant_id, self, username}));
  if (!rows.empty()) {
    return conflict("the username is another user's phone number", "username");
  }
  if (phone.empty()) return Status::ok();
  TING_ASSIGN_OR_RETURN(
      rows, session.query("SELECT id FROM users WHERE tenant_id = ? AND id <> ? AND username = ?",
                          {tenant_id, self, phone}));
  if (!rows.empty()) return conflict("the phone number is another user's username", "phone");
  return Status::ok();
}

Result<User> createUser(store::Tx& tx, std::int64_t tenant_id, const NewUser& nu,
                        const PasswordParams& params) {
  TING_RETURN_IF_ERROR(validateUsername(nu.username));
  TING_RETURN_IF_ERROR(validatePassword(nu.password));
  TING_RETURN_IF_ERROR(validatePhone(nu.phone));
  TING_RETURN_IF_ERROR(checkLoginNamesFree(tx.session(), tenant_id, 0, nu.username, nu.phone));
  if (nu.display_name.size() > 200) {
    return invalidValue("'display_name' must be at most 200 bytes", "display_name");
  }
  TING_ASSIGN_OR_RETURN(std::string hash, hashPassword(nu.password, params));
  auto row = tx.session().queryOne(
      "INSERT INTO users (tenant_id, username, display_name, phone, role, password_hash, "
      "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {tenant_id, nu.username, nu.display_name, store::textOrNull(nu.phone),
       std::string(roleName(nu.role)), hash, tx.now(), tx.now()});
  if (!row.isOk()) return mapUniqueViolation(row.status());
  User u{row->integer(0), tenant_id, nu.username, nu.display_name, nu.phone,
         nu.role,         false,     tx.now(),    tx.now()};
  std::string after = boost::json::serialize(toJson(u));
  TING_RETURN_IF_ERROR(tx.audit({.entity = "user",
                                 .entity_id = std::to_string(u.id),
                                 .action = "create",
                                 .after_json = after,
                                 .tenant_id = tenant_id}));
  tx.emit({"users", "user.created", tenant_id, 0, after});
  return u;
}

Result<User> getUser(store::Session& session, std::int64_t tenant_id, std::int64_t id) {
  auto row = session.queryOne(
      std::string("SELECT ") + kUserColumns + " FROM users WHERE tenant_id = ? AND id = ?",
      {tenant_id, id});
  if (!row.isOk()) {
    if (row.status().code() == StatusCode::kNotFound) return notFound("no such user");
    return row.status();
  }
  return userFromRow(*row);
}

Result<User> findUserByUsername(store::Session& session, std::int64_t tenant_id,
                                const std::string& username) {
  auto row = session.queryOne(
      std::string("SELECT ") + kUserColumns + " FROM users WHERE tenant_id = ? AND username = ?",
      {tenant_id, username});
  if (!row.isOk()) {
    if (row.status().code() == StatusCode::kNotFound) return notFound("no such user");
    return row.status();
  }
  return userFromRow(*row);
}

Result<std::pair<User, Credentials>> findUserForLogin(store::Session& session,
                                                      std::int64_t tenant_id,
                                                      const std::string& login) {
  // A username wins over another user's phone number.
  TING_ASSIGN_OR_RETURN(
      store::Rows rows,
      session.query(std::string("SELECT ") + kUserColumns +
                        ", password_hash, failed_logins, last_failed_at, locked_until FROM users "
                        "WHERE tenant_id = ? AND (username = ? OR phone = ?) "
                        "ORDER BY CASE WHEN username = ? THEN 0 ELSE 1 END LIMIT 1",
                    {tenant_id, login, login, login}));
  if (rows.empty()) return notFound("no such user");
  const auto& r = rows.front();
  Credentials c{r.text(9), static_cast<int>(r.integer(10)), r.integer(11), r.integer(12)};
  return std::make_pair(userFromRow(r), c);
}

Result<User> updateUser(store::Tx& tx, std::int64_t tenant_id, std::int64_t id,
                        const UserPatch& patch, const PasswordParams& params) {
  TING_ASSIGN_OR_RETURN(User before, getUser(tx.session(), tenant_id, id));
  User after = before;
  if (patch.display_name) {
    if (patch.display_name->size() > 200) {
      return invalidValue("'display_name' must be at most 200 bytes", "display_name");
    }
    after.display_name = *patch.display_name;
  }
  if (patch.phone) {
    TING_RETURN_IF_ERROR(validatePhone(*patch.phone));
    after.phone = *patch.phone;
    TING_RETURN_IF_ERROR(
        checkLoginNamesFree(tx.session(), tenant_id, id, after.username, after.phone));
  }
  if (patch.role) after.role = *patch.role;
  if (patch.disabled) after.disabled = *patch.disabled;
  after.updated_at = tx.now();
  Status s = tx.session().exec(
      "UPDATE users SET display_name = ?, phone = ?, role = ?, disabled = ?, updated_at = ? "
      "WHERE tenant_id = ? AND id = ?",
      {after.display_name, store::textOrNull(after.phone), std::string(roleName(after.role)),
       std::int64_t{after.disabled}, after.updated_at, tenant_id, id});
  if (!s.isOk()) return mapUniqueViolation(s);
  if (patch.password) {
    TING_RETURN_IF_ERROR(validatePassword(*patch.password));
    TING_ASSIGN_OR_RETURN(std::string hash, hashPassword(*patch.password, params));
    TING_RETURN_IF_ERROR(
        tx.session().exec("UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = 0 "
                          "WHERE tenant_id = ? AND id = ?",
                          {hash, tenant_id, id}));
  }
  if (after.disabled || patch.password) {
    // Disabling a user or replacing a password ends every open session.
    TING_RETURN_IF_ERROR(tx.session().exec(
        "UPDATE sessions SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND revoked_at "
        "IS NULL",
        {tx.now(), tenant_id, id}));
  }
  boost::json::object after_json = toJson(after);
  if (patch.password) after_json["password_changed"] = true;
  std::string after_text = boost::json::serialize(after_json);
  TING_RETURN_IF_ERROR(tx.audit({.entity = "user",
                                 .entity_id = std::to_string(id),
                                 .action = "update",
                                 .before_json = boost::json::serialize(toJson(before)),
                                 .after_json = after_text,
                                 .tenant_id = tenant_id}));
  tx.emit({"users", "user.updated", tenant_id, 0, after_text});
  return after;
}

Result<store::Page> listUsers(store::Session& session, std::int64_t tenant_id,
                              const UserFilter& filter, const store::PageRequest& page) {
  store::PageQuery q{.table = "users", .columns = kUserColumns, .tenant_id = tenant_id};
  if (filter.role) {
    q.filter_sql += " AND role = ?";
    q.filter_params.emplace_back(std::string(roleName(*filter.role)));
  }
  if (!filter.q.empty()) {
    q.filter_sql +=
        " AND (LOWER(username) LIKE ? ESCAPE '\\' OR LOWER(display_name) LIKE ? ESCAPE '\\' "
        "OR phone LIKE ? ESCAPE '\\')";
    std::string like = store::containsPattern(filter.q);
    q.filter_params.insert(q.filter_params.end(), {like, like, like});
  }
  return store::listPage(session, q, page);
}

}  // namespace ting::identity
