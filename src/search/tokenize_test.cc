#include "search/tokenize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace ting::search {
namespace {

bool contains(const std::vector<std::string>& terms, const std::string& term) {
  return std::find(terms.begin(), terms.end(), term) != terms.end();
}

std::vector<std::string> termsOf(std::string_view text, TokenMode mode) {
  std::vector<std::string> out;
  for (const Token& t : analyze(text, mode)) out.push_back(t.term);
  return out;
}

bool isValidUtf8(const std::string& s) {
  return toValidUtf8(s, s.size() + 1) == s;
}

TEST(Tokenize, LowercasesWordsAndSplitsAtPunctuation) {
  EXPECT_EQ(tokenize("Hello, World! Don't (panic)"),
            (std::vector<std::string>{"hello", "world", "don't", "panic"}));
  EXPECT_EQ(tokenize("ÉCOLE Straße"), (std::vector<std::string>{"école", "straße"}));
}

TEST(Tokenize, CjkRunsBecomeCharactersAndBigrams) {
  EXPECT_EQ(tokenize("宽带故障"),
            (std::vector<std::string>{"宽", "带", "宽带", "故", "带故", "障", "故障"}));
  // Chinese punctuation separates runs: no bigram across "，".
  const auto terms = tokenize("宽带，故障");
  EXPECT_TRUE(contains(terms, "宽带"));
  EXPECT_TRUE(contains(terms, "故障"));
  EXPECT_FALSE(contains(terms, "带故"));
}

TEST(Tokenize, QueriesUseBigramsOrALoneCharacter) {
  EXPECT_EQ(termsOf("宽带故障", TokenMode::kQuery),
            (std::vector<std::string>{"宽带", "带故", "故障"}));
  EXPECT_EQ(termsOf("宽", TokenMode::kQuery), (std::vector<std::string>{"宽"}));
}

TEST(Tokenize, MixedScriptsSplitBetweenScripts) {
  const auto terms = tokenize("宽带WiFi故障");
  EXPECT_TRUE(contains(terms, "wifi"));
  EXPECT_TRUE(contains(terms, "宽带"));
  EXPECT_TRUE(contains(terms, "故障"));
  EXPECT_FALSE(contains(terms, "带w"));
}

TEST(Tokenize, ReferencesStayWholeAndLoseTheirHyphens) {
  const auto terms = tokenize("Ref C20261122-0042.");
  EXPECT_EQ(terms, (std::vector<std::string>{"ref", "c20261122", "0042", "c20261122-0042",
                                             "c202611220042"}));
  const auto email = tokenize("mail li.lei@example.com now");
  EXPECT_TRUE(contains(email, "li.lei@example.com"));
  EXPECT_TRUE(contains(email, "example"));
  EXPECT_FALSE(contains(email, "lileiexamplecom"));  // joined only across hyphens
}

TEST(Tokenize, PhoneNumbersAsWrittenAndAsDigits) {
  EXPECT_TRUE(contains(tokenize("电话138-0013-8000"), "13800138000"));
  EXPECT_TRUE(contains(tokenize("电话 138 0013 8000。"), "13800138000"));
  EXPECT_FALSE(contains(termsOf("138 0013 8000", TokenMode::kQuery), "13800138000"));
  // Short groups are not phone numbers.
  EXPECT_FALSE(contains(tokenize("3 4 5"), "345"));
}

TEST(Tokenize, FullWidthAsciiReadsAsAscii) {
  EXPECT_EQ(tokenize("１３８００１３８０００ ＡＢＣ"),
            (std::vector<std::string>{"13800138000", "abc"}));
}

TEST(Tokenize, InvalidUtf8SeparatesAndIsNeverATerm) {
  EXPECT_EQ(tokenize("ab\xff"
                     "cd"),
            (std::vector<std::string>{"ab", "cd"}));
  EXPECT_TRUE(tokenize("\xe5\xae").empty());              // a truncated 宽
  EXPECT_TRUE(tokenize("\xc0\xaf\xed\xa0\x80").empty());  // overlong '/', a surrogate
  for (const std::string& t : tokenize("x\xe5\xae\xbd\xe5\xae\xff\xf4\x90\x80\x80y")) {
    EXPECT_TRUE(isValidUtf8(t)) << t;
  }
}

TEST(Tokenize, LongWordsAreNotTerms) {
  EXPECT_TRUE(tokenize(std::string(kMaxTermBytes + 1, 'a')).empty());
  EXPECT_EQ(tokenize(std::string(kMaxTermBytes, 'a')).size(), 1u);
}

TEST(Tokenize, OffsetsPointIntoTheText) {
  const std::string text = "Hi 宽带 C1-2";
  for (const Token& t : analyze(text, TokenMode::kIndex)) {
    ASSERT_LE(t.end, text.size());
    ASSERT_LT(t.begin, t.end);
    const std::string written = text.substr(t.begin, t.end - t.begin);
    EXPECT_TRUE(contains(tokenize(written), t.term)) << written;
  }
}

TEST(Stem, EnglishWordsOnly) {
  EXPECT_EQ(stemOf("refunds"), "refund");
  EXPECT_EQ(stemOf("refunding"), "refund");
  EXPECT_EQ(stemOf("13800138000"), "");
  EXPECT_EQ(stemOf("c20261122"), "");
  EXPECT_EQ(stemOf("宽带"), "宽带");
}

TEST(ValidUtf8, CutsAtCharacterBoundariesAndReplacesJunk) {
  EXPECT_EQ(toValidUtf8("宽带", 5), "宽");
  EXPECT_EQ(toValidUtf8("宽带", 6), "宽带");
  EXPECT_EQ(toValidUtf8("a\xff"
                        "b",
                        10),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(toValidUtf8(std::string("a\0b\tc\n", 6), 10), "a b\tc\n");
}

TEST(Snippet, MarksTheMatchedWordsInChinese) {
  EXPECT_EQ(makeSnippet("客户反映宽带故障已经三天", snippetTermsOf("宽带故障")),
            "客户反映<mark>宽带故障</mark>已经三天");
  EXPECT_EQ(makeSnippet("客户反映宽带故障已经三天", snippetTermsOf("故障")),
            "客户反映宽带<mark>故障</mark>已经三天");
}

TEST(Snippet, MarksWordsOfTheSameStemAndEscapesHtml) {
  const std::string s =
      makeSnippet("<script>alert('x')</script> Refunded & closed", snippetTermsOf("refunds"));
  EXPECT_EQ(s,
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; <mark>Refunded</mark> &amp; closed");
}

TEST(Snippet, CentersOnTheMatchesInLongText) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "无关内容";
  text += "客户的宽带故障需要处理";
  for (int i = 0; i < 200; ++i) text += "其他文字";
  const std::string s = makeSnippet(text, snippetTermsOf("宽带故障"));
  EXPECT_NE(s.find("<mark>宽带故障</mark>"), std::string::npos) << s;
  EXPECT_EQ(s.rfind("…", 0), 0u) << s;
  EXPECT_EQ(s.size() - s.rfind("…"), std::string("…").size()) << s;
  EXPECT_TRUE(isValidUtf8(s));
  // About 160 characters: 3 bytes each, plus the marks and ellipses.
  EXPECT_LE(s.size(), 160u * 3 + 40);
}

TEST(Snippet, NeverCutsACharacterAndCollapsesWhitespace) {
  const std::string text = "退款 refund\n\n\t请求 <b> ok 😀 宽带 " + std::string(50, 'x');
  for (std::size_t width = 1; width < 60; ++width) {
    const std::string s = makeSnippet(text, snippetTermsOf("宽带"), width);
    EXPECT_TRUE(isValidUtf8(s)) << width;
    EXPECT_EQ(s.find('\n'), std::string::npos) << width;
    EXPECT_EQ(s.find("<b>"), std::string::npos) << width;
  }
  EXPECT_EQ(makeSnippet("a\n\n  b", SnippetTerms{}), "a b");
}

TEST(Snippet, StartOfTextWhenNothingMatches) {
  EXPECT_EQ(makeSnippet("短文本", snippetTermsOf("other")), "短文本");
  EXPECT_EQ(makeSnippet("", snippetTermsOf("x")), "");
  EXPECT_EQ(makeSnippet(std::string(300, 'a') + " b", SnippetTerms{}, 10).rfind("aaaa", 0), 0u);
}

}  // namespace
}  // namespace ting::search
