#include "ivr/compare.h"

#include <gtest/gtest.h>

#include "ivr/interpolate.h"

namespace ting::ivr {
namespace {

TEST(Compare, NumbersCompareNumericallyOtherwiseAsText) {
  EXPECT_TRUE(compareValues("10", CompareOp::kGt, "9"));
  EXPECT_FALSE(compareValues("10", CompareOp::kGt, "9x")) << "text: '1' < '9'";
  EXPECT_TRUE(compareValues("1.0", CompareOp::kEq, "1"));
  EXPECT_TRUE(compareValues("-2", CompareOp::kLt, "-1.5"));
  EXPECT_TRUE(compareValues("abc", CompareOp::kLt, "abd"));
  EXPECT_TRUE(compareValues("en", CompareOp::kEq, "en"));
  EXPECT_TRUE(compareValues("en", CompareOp::kNe, "zh"));
  EXPECT_FALSE(compareValues("", CompareOp::kEq, "0"));
  EXPECT_FALSE(compareValues("1e3", CompareOp::kGt, "999")) << "only plain decimals are numbers";
  EXPECT_TRUE(compareValues("nan", CompareOp::kEq, "nan")) << "compared as text";
}

TEST(Compare, PrefixInAndMatches) {
  EXPECT_TRUE(compareValues("13800138000", CompareOp::kPrefix, "138"));
  EXPECT_FALSE(compareValues("13", CompareOp::kPrefix, "138"));
  EXPECT_TRUE(compareValues("gold", CompareOp::kIn, "silver, gold ,platinum"));
  EXPECT_FALSE(compareValues("old", CompareOp::kIn, "silver,gold"));
  EXPECT_TRUE(compareValues("", CompareOp::kIn, "a,,b")) << "an empty item matches an empty value";
  auto re = compilePattern("^1[3-9][0-9]{9}$");
  ASSERT_TRUE(re.isOk());
  EXPECT_TRUE(compareValues("13900000000", CompareOp::kMatches, "", re->get()));
  EXPECT_FALSE(compareValues("1390000000", CompareOp::kMatches, "", re->get()));
  EXPECT_FALSE(compareValues("x", CompareOp::kMatches, "x", nullptr)) << "no compiled pattern";
}

TEST(Compare, OpNamesRoundTrip) {
  for (auto name : {"eq", "ne", "lt", "gt", "prefix", "in", "matches"}) {
    auto op = parseCompareOp(name);
    ASSERT_TRUE(op) << name;
    EXPECT_EQ(compareOpName(*op), name);
  }
  EXPECT_FALSE(parseCompareOp("EQ"));
  EXPECT_FALSE(parseCompareOp("=="));
}

TEST(Compare, PatternsCompileOrSayWhy) {
  EXPECT_TRUE(compilePattern("^[0-9]+$").isOk());
  auto bad = compilePattern("^[0-9+$");
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("not a valid regular expression"), std::string::npos);
  auto backref = compilePattern("(1)\\1");
  ASSERT_FALSE(backref.isOk());
  EXPECT_NE(backref.status().message().find("back-references"), std::string::npos);
  EXPECT_FALSE(compilePattern("").isOk());
  EXPECT_FALSE(compilePattern(std::string(kMaxPatternBytes + 1, 'a')).isOk());
}

TEST(Compare, PatternsThatExplodeAreRefused) {
  EXPECT_TRUE(compilePattern("^[0-9]{64}$").isOk());
  EXPECT_TRUE(compilePattern("^(0[0-9]{2,3}-)?[0-9]{7,8}$").isOk());
  EXPECT_TRUE(compilePattern("a{2,}b{3}").isOk());
  auto nested = compilePattern("((a?){20}){20}{20}");
  ASSERT_FALSE(nested.isOk());
  EXPECT_NE(nested.status().message().find("too complex"), std::string::npos);
  EXPECT_FALSE(compilePattern("(a{100}){100}").isOk());
  EXPECT_FALSE(compilePattern("[0-9]{99999999999999999999}").isOk());
}

TEST(Compare, FoundAnywhereButAnchorsHold) {
  auto re = compilePattern("23");
  ASSERT_TRUE(re.isOk());
  EXPECT_TRUE(patternFound(**re, "1234"));
  EXPECT_FALSE(patternFound(**re, "1324"));
  auto anchored = compilePattern("^23|9$");
  ASSERT_TRUE(anchored.isOk());
  EXPECT_TRUE(patternFound(**anchored, "2345"));
  EXPECT_FALSE(patternFound(**anchored, "1234"));
  EXPECT_TRUE(patternFound(**anchored, "1239"));
  EXPECT_FALSE(patternFound(**anchored, "1293"));
  EXPECT_FALSE(compilePattern("a)(?:b").isOk()) << "cannot break out of the wrapper";
}

TEST(Compare, NestedRepetitionStaysFast) {
  // Catastrophic for a backtracking matcher; the polynomial one shrugs.
  auto re = compilePattern("^(a+)+$");
  ASSERT_TRUE(re.isOk());
  EXPECT_FALSE(patternFound(**re, std::string(kMaxMatchBytes - 1, 'a') + "b"));
  EXPECT_TRUE(patternFound(**re, std::string(kMaxMatchBytes, 'a')));
  EXPECT_FALSE(patternFound(**re, std::string(kMaxMatchBytes + 1, 'a'))) << "too long to match";
}

TEST(Compare, PhoneNumbersNormalize) {
  EXPECT_EQ(normalizePhone("+86 139-0000-0000"), "13900000000");
  EXPECT_EQ(normalizePhone("008613900000000"), "13900000000");
  EXPECT_EQ(normalizePhone("8613900000000"), "13900000000");
  EXPECT_EQ(normalizePhone("13900000000"), "13900000000");
  EXPECT_EQ(normalizePhone("010 1234 5678"), "1012345678");
  EXPECT_EQ(normalizePhone("+86 10 1234 5678"), "1012345678");
  EXPECT_EQ(normalizePhone("86123456"), "86123456") << "a short local number keeps its 86";
  EXPECT_EQ(normalizePhone("anonymous"), "");
}

TEST(Compare, NumberListsMatchWhateverTheFormat) {
  NumberList list;
  EXPECT_TRUE(list.add("+8613900000000"));
  EXPECT_TRUE(list.add("(010) 1234-5678"));
  EXPECT_FALSE(list.add("vip"));
  EXPECT_EQ(list.size(), 2u);
  EXPECT_TRUE(list.contains("+86 139-0000-0000"));
  EXPECT_TRUE(list.contains("13900000000"));
  EXPECT_TRUE(list.contains("0086 139 0000 0000"));
  EXPECT_TRUE(list.contains("+861012345678"));
  EXPECT_FALSE(list.contains("13900000001"));
  EXPECT_FALSE(list.contains(""));
  EXPECT_FALSE(list.contains("anonymous"));
}

TEST(Interpolate, FillsVariablesAndEncodesForUrls) {
  Variables vars{{"account", "12 34&x=1"}, {"name", "王"}};
  EXPECT_EQ(interpolate("id=${account}", vars), "id=12 34&x=1");
  EXPECT_EQ(interpolate("id=${account}", vars, Escape::kUrl), "id=12%2034%26x%3D1");
  EXPECT_EQ(interpolate("${name}", vars, Escape::kUrl), "%E7%8E%8B");
  EXPECT_EQ(interpolate("[${missing}]", vars), "[]");
  EXPECT_EQ(interpolate("$5 ${ ${name", vars), "$5 ${ ${name") << "not references";
  EXPECT_EQ(interpolate("${name}${name}", vars), "王王");
  EXPECT_TRUE(isVariableName("_a1"));
  EXPECT_FALSE(isVariableName("1a"));
  EXPECT_FALSE(isVariableName("a-b"));
  EXPECT_FALSE(isVariableName(std::string(65, 'a')));
}

}  // namespace
}  // namespace ting::ivr
