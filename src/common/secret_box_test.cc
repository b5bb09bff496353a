#include "common/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "common/crypto.h"

namespace ting {
namespace {

class SecretBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(initCrypto().isOk());
    dir_ = std::filesystem::temp_directory_path() /
           ("ting-secret-box-" + std::to_string(::getpid()) + "-" + randomToken(6));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(SecretBoxTest, SealedSecretsOpenWithTheSameKey) {
  SecretKey key = SecretKey::generate();
  for (std::string plain : {std::string(), std::string("hunter2"), std::string("密码 with spaces"),
                            std::string(1000, 'x'), std::string("nul\0inside", 10)}) {
    auto sealed = sealSecret(key, plain);
    ASSERT_TRUE(sealed.isOk());
    EXPECT_EQ(sealed->find(plain.empty() ? "\x01" : plain), std::string::npos);
    auto opened = openSecret(key, *sealed);
    ASSERT_TRUE(opened.isOk()) << opened.status().message();
    EXPECT_EQ(*opened, plain);
  }
}

TEST_F(SecretBoxTest, EachSealUsesAFreshNonce) {
  SecretKey key = SecretKey::generate();
  auto a = sealSecret(key, "same text");
  auto b = sealSecret(key, "same text");
  ASSERT_TRUE(a.isOk() && b.isOk());
  EXPECT_NE(*a, *b);
}

TEST_F(SecretBoxTest, AlteredSealsAreRefused) {
  SecretKey key = SecretKey::generate();
  auto sealed = sealSecret(key, "trunk password");
  ASSERT_TRUE(sealed.isOk());
  // Flip one character at a time (staying in the base64 alphabet).
  for (std::size_t i = 0; i + 2 < sealed->size(); i += 3) {
    std::string bad = *sealed;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    auto opened = openSecret(key, bad);
    ASSERT_FALSE(opened.isOk()) << "position " << i;
    EXPECT_EQ(opened.status().code(), StatusCode::kInvalidValue);
  }
  EXPECT_EQ(openSecret(key, "not base64 !!").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(openSecret(key, "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(openSecret(key, sealed->substr(0, 20)).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SecretBoxTest, AnotherKeyCannotOpen) {
  SecretKey key = SecretKey::generate();
  SecretKey other = SecretKey::generate();
  auto sealed = sealSecret(key, "trunk password");
  ASSERT_TRUE(sealed.isOk());
  auto opened = openSecret(other, *sealed);
  ASSERT_FALSE(opened.isOk());
  EXPECT_EQ(opened.status().code(), StatusCode::kInvalidValue);
}

TEST_F(SecretBoxTest, KeyFileIsMadeOncePrivatelyAndReused) {
  auto first = loadOrCreateSecretKey(dir_);
  ASSERT_TRUE(first.isOk()) << first.status().message();
  const auto path = dir_ / "keys" / "secret.key";
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  ASSERT_EQ(::stat((dir_ / "keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto sealed = sealSecret(*first, "kept across restarts");
  ASSERT_TRUE(sealed.isOk());
  auto second = loadOrCreateSecretKey(dir_);
  ASSERT_TRUE(second.isOk());
  auto opened = openSecret(*second, *sealed);
  ASSERT_TRUE(opened.isOk());
  EXPECT_EQ(*opened, "kept across restarts");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_ / "keys"),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(SecretBoxTest, KeyFileOfTheWrongSizeIsAnError) {
  std::filesystem::create_directories(dir_ / "keys");
  std::ofstream(dir_ / "keys" / "secret.key") << "too short";
  auto key = loadOrCreateSecretKey(dir_);
  ASSERT_FALSE(key.isOk());
  EXPECT_EQ(key.status().code(), StatusCode::kInternal);
  EXPECT_EQ(SecretKey::fromBytes(std::string(31, 'k')).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(SecretKey::fromBytes(std::string(32, 'k')).isOk());
}

}  // namespace
}  // namespace ting
