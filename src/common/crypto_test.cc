#include "common/crypto.h"

#include <gtest/gtest.h>

namespace ting {

class CryptoTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(initCrypto().isOk()); }
};

TEST_F(CryptoTest, PasswordHashIsArgon2idAndVerifies) {
  PasswordParams cheap{.memory_kib = 64, .iterations = 1, .parallelism = 1};
  auto hash = hashPassword("s3cret-密码", cheap);
  ASSERT_TRUE(hash.isOk());
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(verifyPassword("s3cret-密码", *hash));
  EXPECT_FALSE(verifyPassword("s3cret", *hash));
  EXPECT_FALSE(verifyPassword("s3cret-密码", "plain"));
  auto again = hashPassword("s3cret-密码", cheap);
  EXPECT_NE(*again, *hash) << "each hash has its own salt";
}

TEST_F(CryptoTest, TokensAreRandomAndUrlSafe) {
  std::string a = randomToken(32), b = randomToken(32);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 43u);
  EXPECT_EQ(a.find_first_of("+/="), std::string::npos);
  std::string raw;
  ASSERT_TRUE(base64UrlDecode(a, raw));
  EXPECT_EQ(raw.size(), 32u);
  EXPECT_FALSE(base64UrlDecode("!!!", raw));
}

TEST_F(CryptoTest, Sha256MatchesKnownVector) {
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace ting
