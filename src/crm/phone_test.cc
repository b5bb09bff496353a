#include "crm/phone.h"

#include <gtest/gtest.h>

namespace ting::crm {
namespace {

TEST(Phone, ChineseMobilesMatchHoweverTheyArrive) {
  for (const char* text : {"13800138000", "+8613800138000", "8613800138000", "008613800138000",
                           "013800138000", "138-0013-8000", "+86 138 0013 8000"}) {
    auto p = normalizePhone(text);
    ASSERT_TRUE(p.isOk()) << text << ": " << p.status().message();
    EXPECT_EQ(p->e164, "+8613800138000") << text;
    EXPECT_EQ(p->kind, PhoneKind::kMobile) << text;
  }
}

TEST(Phone, LandlinesWithTheirAreaCode) {
  auto beijing = normalizePhone("010-12345678");
  ASSERT_TRUE(beijing.isOk());
  EXPECT_EQ(beijing->e164, "+861012345678");
  EXPECT_EQ(beijing->kind, PhoneKind::kLandline);
  auto shenzhen = normalizePhone("0755 8888 8888");
  ASSERT_TRUE(shenzhen.isOk());
  EXPECT_EQ(shenzhen->e164, "+8675588888888");
  auto us = normalizePhone("+1 650 253 0000");
  ASSERT_TRUE(us.isOk());
  EXPECT_EQ(us->e164, "+16502530000");
}

TEST(Phone, InvalidNumbersNameTheField) {
  for (const char* text : {"", "abc", "1380013800", "12345678", "95588",
                           "+86138001380001380013800138000138001380013800138000138001380000"}) {
    auto p = normalizePhone(text, "CN", "phones[1]");
    EXPECT_FALSE(p.isOk()) << text;
    if (!p.isOk()) EXPECT_EQ(p.status().field(), "phones[1]") << text;
  }
}

TEST(Phone, LookupKeysFallBackToDigits) {
  EXPECT_EQ(lookupKey("013800138000"), "+8613800138000");
  EXPECT_EQ(lookupKey("95588"), "95588");
  EXPECT_EQ(lookupKey("+999 123"), "+999123");
  EXPECT_EQ(lookupKey("anonymous"), "");
}

TEST(Phone, LocalCallersMatchTheSubscriberPartOfLandlines) {
  EXPECT_EQ(landlineLocalPart("+861062345678"), "62345678");    // Beijing, 2-digit area code
  EXPECT_EQ(landlineLocalPart("+862162345678"), "62345678");    // Shanghai
  EXPECT_EQ(landlineLocalPart("+8657187654321"), "87654321");   // Hangzhou, 3-digit area code
  EXPECT_EQ(landlineLocalPart("+8613800138000"), "");           // a mobile
  EXPECT_EQ(landlineLocalPart("+12125550100"), "");             // not Chinese
  EXPECT_EQ(localCallerDigits("62345678"), "62345678");
  EXPECT_EQ(localCallerDigits("6234-5678"), "62345678");
  EXPECT_EQ(localCallerDigits("8765432"), "8765432");
  EXPECT_EQ(localCallerDigits("13800138000"), "");  // a mobile's length
  EXPECT_EQ(localCallerDigits("01062345678"), "");  // has its area code
  EXPECT_EQ(localCallerDigits("+62345678"), "");
  EXPECT_EQ(localCallerDigits("95588"), "");        // a service number
}

TEST(Phone, MasksTheMiddleDigits) {
  EXPECT_EQ(maskPhone("13800138000"), "138****8000");
  EXPECT_EQ(maskPhone("+8613800138000"), "+86138****8000");
  EXPECT_EQ(maskPhone("010-12345678"), "010-****5678");
  EXPECT_EQ(maskPhone("95588"), "***88");
  EXPECT_EQ(maskPhone(""), "");
}

}  // namespace
}  // namespace ting::crm
