#include "identity/auth.h"

#include <gtest/gtest.h>

#include <thread>

#include "store/test_database.h"

namespace ting::identity {

using store::Dialect;

class AuthTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    tdb_ = std::make_unique<store::TestDatabase>(GetParam());
    TING_REQUIRE_TEST_DATABASE(*tdb_);
    store_ = std::make_unique<store::Store>(tdb_->db(), bus_, clock_);
    options_.backoff_after = 3;
    options_.max_failed_logins = 5;
    options_.lockout_s = 600;
    options_.token_ttl_s = 3600;
    options_.password = {.memory_kib = 64, .iterations = 1, .parallelism = 1};
    auth_ = std::make_unique<AuthService>(*store_, bus_, options_);
    Status s = store_->write({0, 0, "test", ""}, [&](store::Tx& tx) -> Status {
      TING_ASSIGN_OR_RETURN(Tenant t, createTenant(tx, "acme", "Acme"));
      tenant_id_ = t.id;
      NewUser nu{"1001", "correct-horse", Role::kAgent, "Li Na", "13800138000"};
      TING_ASSIGN_OR_RETURN(User u, createUser(tx, t.id, nu, options_.password));
      user_id_ = u.id;
      return Status::ok();
    });
    ASSERT_TRUE(s.isOk()) << s.message();
  }

  Result<LoginResult> login(const std::string& name, const std::string& pw) {
    return auth_->login("acme", name, pw, "req", refusal_);
  }

  std::unique_ptr<store::TestDatabase> tdb_;
  EventBus bus_;
  FakeClock clock_{1'800'000'000'000};
  std::unique_ptr<store::Store> store_;
  AuthOptions options_;
  std::unique_ptr<AuthService> auth_;
  LoginRefusal refusal_;
  std::int64_t tenant_id_ = 0, user_id_ = 0;
};

TEST_P(AuthTest, LoginByUsernameOrPhoneGivesAWorkingToken) {
  for (const char* name : {"1001", "13800138000"}) {
    auto r = login(name, "correct-horse");
    ASSERT_TRUE(r.isOk()) << name << ": " << r.status().message();
    EXPECT_EQ(r->token.rfind("tk_", 0), 0u);
    auto p = auth_->authenticate(r->token);
    ASSERT_TRUE(p.isOk());
    EXPECT_EQ(p->user_id, user_id_);
    EXPECT_EQ(p->tenant_slug, "acme");
    EXPECT_EQ(p->role, Role::kAgent);
  }
  auto stored = tdb_->db().query("SELECT token_hash FROM sessions", {});
  ASSERT_TRUE(stored.isOk());
  for (const auto& row : *stored) EXPECT_EQ(row.text(0).size(), 64u) << "only hashes are stored";
}

TEST_P(AuthTest, WrongTenantUserOrPasswordAreAlike) {
  EXPECT_EQ(login("1001", "wrong-horse").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(login("9999", "correct-horse").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(auth_->login("nope", "1001", "correct-horse", "", refusal_).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(refusal_.code, "invalid_credentials");
}

TEST_P(AuthTest, FailuresBackOffThenLock) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(login("1001", "bad").status().code(), StatusCode::kUnauthenticated);
  }
  // Third failure reached backoff_after: the next try within 1 s is throttled, even a right one.
  auto throttled = login("1001", "correct-horse");
  EXPECT_EQ(throttled.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(refusal_.code, "too_many_attempts");
  EXPECT_EQ(refusal_.retry_after_s, 1);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(login("1001", "bad").status().code(), StatusCode::kUnauthenticated);  // 4th
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(login("1001", "bad").status().code(), StatusCode::kResourceExhausted)
      << "the wait doubles to 2 s";
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(login("1001", "bad").status().code(), StatusCode::kResourceExhausted);  // 5th: lock
  EXPECT_EQ(refusal_.code, "account_locked");
  clock_.advance(std::chrono::seconds(60));
  EXPECT_EQ(login("1001", "correct-horse").status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(refusal_.code, "account_locked");
  clock_.advance(std::chrono::seconds(600));
  EXPECT_TRUE(login("1001", "correct-horse").isOk()) << "the lock expires";
}

TEST_P(AuthTest, ParallelGuessesEachCountTowardsTheLock) {
  // No backoff here, so every guess is checked. Guesses that read the same
  // failure count before any of them writes must each still count: eight
  // wrong guesses pass the lock threshold of five.
  AuthOptions no_backoff = options_;
  no_backoff.backoff_after = 100;
  AuthService auth(*store_, bus_, no_backoff);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      LoginRefusal refusal;
      (void)auth.login("acme", "1001", "wrong-guess", "req", refusal);
    });
  }
  for (auto& t : threads) t.join();
  LoginRefusal refusal;
  EXPECT_EQ(auth.login("acme", "1001", "correct-horse", "req", refusal).status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(refusal.code, "account_locked");
}

TEST_P(AuthTest, LogoutRevokesAtOnce) {
  auto r = login("1001", "correct-horse");
  ASSERT_TRUE(r.isOk());
  ASSERT_TRUE(auth_->authenticate(r->token).isOk());
  ASSERT_TRUE(auth_->logout(r->principal, "req").isOk());
  EXPECT_EQ(auth_->authenticate(r->token).status().code(), StatusCode::kUnauthenticated);
}

TEST_P(AuthTest, TokensExpire) {
  auto r = login("1001", "correct-horse");
  ASSERT_TRUE(r.isOk());
  ASSERT_TRUE(auth_->authenticate(r->token).isOk());
  clock_.advance(std::chrono::seconds(3601));
  EXPECT_FALSE(auth_->authenticate(r->token).isOk());
}

TEST_P(AuthTest, DisablingAUserEndsTheirSessionsAtOnce) {
  auto r = login("1001", "correct-horse");
  ASSERT_TRUE(r.isOk());
  ASSERT_TRUE(auth_->authenticate(r->token).isOk());  // now cached
  Status s = store_->write({tenant_id_, 0, "admin", ""}, [&](store::Tx& tx) -> Status {
    UserPatch patch;
    patch.disabled = true;
    auto u = updateUser(tx, tenant_id_, user_id_, patch, options_.password);
    return u.isOk() ? Status::ok() : u.status();
  });
  ASSERT_TRUE(s.isOk()) << s.message();
  EXPECT_FALSE(auth_->authenticate(r->token).isOk());
  EXPECT_FALSE(login("1001", "correct-horse").isOk());
}

TEST_P(AuthTest, GarbageTokensAreRejectedWithoutAQuery) {
  for (const char* t : {"", "Bearer", "tk_", "tk_notarealtokenatall", "xx_aaaaaaaaaaaaaaaaaaaa"}) {
    EXPECT_EQ(auth_->authenticate(t).status().code(), StatusCode::kUnauthenticated) << t;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthTest,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         store::dialectName);

}  // namespace ting::identity
