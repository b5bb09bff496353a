#include "common/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

namespace ting {

TEST(Config, DefaultsMatchTheDocumentedOnes) {
  Config c;
  EXPECT_EQ(c.http_listen, "0.0.0.0:8080");
  EXPECT_EQ(c.sip_listen, "0.0.0.0:5060");
  EXPECT_EQ(c.databaseUrl(), "./var/ting.db");
}

TEST(Config, TomlSetsKeys) {
  Config c;
  ASSERT_TRUE(applyConfigToml(c,
                              "[http]\nbody_limit = 2048\nlisten = \"127.0.0.1:9\"\n"
                              "[demo]\nenabled = true\n")
                  .isOk());
  EXPECT_EQ(c.http_body_limit, 2048);
  EXPECT_EQ(c.http_listen, "127.0.0.1:9");
  EXPECT_TRUE(c.demo);
}

TEST(Config, TomlErrorsNameTheKey) {
  Config c;
  Status s = applyConfigToml(c, "[http]\nbody_limt = 5\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "http.body_limt");
  s = applyConfigToml(c, "[http]\nbody_limit = \"big\"\n");
  EXPECT_EQ(s.field(), "http.body_limit");
  s = applyConfigToml(c, "[http]\nbody_limit = 5\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidValue) << "below the minimum";
  s = applyConfigToml(c, "[log]\nlevel = \"loud\"\n");
  EXPECT_EQ(s.field(), "log.level");
  s = applyConfigToml(c, "[http\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("line 1"), std::string::npos);
  s = applyConfigToml(c, "listen = 1\n");
  EXPECT_EQ(s.field(), "listen");
}

TEST(Config, EnvironmentOverridesFile) {
  Config c;
  ASSERT_TRUE(applyConfigToml(c, "[http]\nlisten = \"127.0.0.1:1\"\n").isOk());
  std::map<std::string, std::string> env = {{"TING_HTTP", "127.0.0.1:2"},
                                            {"TING_AUTH_LOCKOUT", "60"}};
  ASSERT_TRUE(applyConfigEnv(c, [&](const char* name) -> const char* {
                auto it = env.find(name);
                return it == env.end() ? nullptr : it->second.c_str();
              }).isOk());
  EXPECT_EQ(c.http_listen, "127.0.0.1:2");
  EXPECT_EQ(c.lockout, 60);
  env = {{"TING_AUTH_LOCKOUT", "soon"}};
  Status s = applyConfigEnv(c, [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  EXPECT_EQ(s.field(), "auth.lockout");
  EXPECT_NE(s.message().find("TING_AUTH_LOCKOUT"), std::string::npos);
}

TEST(Config, EveryKeyIsInTheReferenceDocument) {
  std::ifstream in(std::string(TING_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md is missing";
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& k : configKeys()) {
    EXPECT_NE(doc.find("`" + k.key + "`"), std::string::npos) << k.key;
    EXPECT_NE(doc.find("`" + k.env + "`"), std::string::npos) << k.env;
  }
}

}  // namespace ting
