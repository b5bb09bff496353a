#include "notify/webhooks.h"

#include <gtest/gtest.h>

namespace ting::notify {
namespace {

TEST(Webhooks, SignatureIsHmacSha256OfTimestampDotBody) {
  const std::string sig = signature("Jefe", 1700000000, "what do ya want for nothing?");
  EXPECT_EQ(sig.rfind("sha256=", 0), 0u);
  EXPECT_EQ(sig.size(), 7u + 64u);
  EXPECT_NE(sig, signature("Jefe", 1700000001, "what do ya want for nothing?"));
  EXPECT_NE(sig, signature("jefe", 1700000000, "what do ya want for nothing?"));
  // HMAC-SHA256("key", "1.x"), computed independently (Python's hmac module).
  EXPECT_EQ(signature("key", 1, "x"),
            "sha256=fc4913c41a7bf793267e2a384f3261c9436ec2cd097bd745e7b0d99113f510ec");
}

TEST(Webhooks, EventSelection) {
  EXPECT_TRUE(selects({}, "work_order.created"));
  EXPECT_TRUE(selects({"work_order.*"}, "work_order.resolve"));
  EXPECT_FALSE(selects({"work_order.*"}, "approval.requested"));
  EXPECT_TRUE(selects({"approval.requested", "work_order.created"}, "approval.requested"));
  EXPECT_FALSE(selects({"work_order.created"}, "work_order.create"));
  EXPECT_TRUE(selects({"*"}, "approval.approved"));
}

}  // namespace
}  // namespace ting::notify
