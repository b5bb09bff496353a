#include "api/json_body.h"

#include <gtest/gtest.h>

namespace ting::api {

TEST(JsonBody, ReadsFieldsOfTheRightType) {
  JsonBody b(R"({"name":"赵","vip":true,"n":5,"gone":null})");
  EXPECT_EQ(b.string("name", kRequired), "赵");
  EXPECT_EQ(b.boolean("vip"), true);
  EXPECT_EQ(b.integer("n", false, 0, 10), 5);
  EXPECT_EQ(b.string("gone"), "") << "null clears an optional string";
  EXPECT_EQ(b.string("absent"), std::nullopt);
  EXPECT_TRUE(b.finish().isOk());
}

TEST(JsonBody, NamesTheFieldAtFault) {
  struct Case {
    const char* body;
    const char* reason;
    const char* field;
  } cases[] = {
      {R"({"name":5})", "", "name"},
      {R"({})", "missing_field", "name"},
      {R"({"name":"a","extra":1})", "unknown_field", "extra"},
      {R"({"name":null})", "", "name"},
  };
  for (const auto& c : cases) {
    JsonBody b(c.body);
    (void)b.string("name", kRequired);
    Status s = b.finish();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.body;
    EXPECT_EQ(s.reason(), c.reason) << c.body;
    EXPECT_EQ(s.field(), c.field) << c.body;
  }
}

TEST(JsonBody, RejectsWhatIsNotAnObject) {
  for (const char* body : {"", "[1]", "{", "\"x\"", "{\"a\":1}}", "nul"}) {
    JsonBody b(body);
    (void)b.string("a");
    EXPECT_EQ(b.finish().reason(), "invalid_json") << body;
  }
}

TEST(JsonBody, EnforcesLimitsAndUtf8) {
  JsonBody b(R"({"s":"toolong"})");
  (void)b.string("s", false, 3);
  EXPECT_EQ(b.finish().code(), StatusCode::kInvalidValue);
  JsonBody bad("{\"s\":\"\xff\"}");
  (void)bad.string("s");
  EXPECT_FALSE(bad.finish().isOk());
  JsonBody range(R"({"n":11})");
  (void)range.integer("n", false, 0, 10);
  EXPECT_EQ(range.finish().field(), "n");
}

TEST(JsonBody, KeepsNestedObjectsWhole) {
  JsonBody b(R"({"document":{"start":"a","nodes":{"a":{"type":"hangup"}}}})");
  auto doc = b.object("document", kRequired);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->at("start").as_string(), "a");
  EXPECT_TRUE(b.finish().isOk());
  for (const char* body :
       {R"({"document":"text"})", R"({"document":[1]})", R"({"document":null})", R"({})"}) {
    JsonBody wrong(body);
    (void)wrong.object("document", kRequired);
    EXPECT_EQ(wrong.finish().field(), "document") << body;
  }
}

TEST(JsonBody, NullableIntegersTellAbsentFromCleared) {
  JsonBody absent(R"({})");
  EXPECT_FALSE(absent.nullableInteger("owner_id", 1).has_value());
  EXPECT_TRUE(absent.finish().isOk());
  JsonBody cleared(R"({"owner_id": null})");
  auto c = cleared.nullableInteger("owner_id", 1);
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->has_value());
  EXPECT_TRUE(cleared.finish().isOk()) << "null is a value here, not an unknown field";
  JsonBody set(R"({"owner_id": 7})");
  EXPECT_EQ(set.nullableInteger("owner_id", 1), std::optional<std::int64_t>(7));
  JsonBody bad(R"({"owner_id": 0})");
  (void)bad.nullableInteger("owner_id", 1);
  EXPECT_EQ(bad.finish().field(), "owner_id");
  JsonBody text(R"({"owner_id": "7"})");
  (void)text.nullableInteger("owner_id", 1);
  EXPECT_EQ(text.finish().field(), "owner_id");
}

TEST(JsonBody, RejectsDeepNesting) {
  std::string deep = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
  JsonBody b(deep);
  EXPECT_EQ(b.finish().reason(), "invalid_json");
}

}  // namespace ting::api
