#include "sip/digest.h"

#include <gtest/gtest.h>

#include "sip/directory.h"

namespace ting::sip {
namespace {

TEST(Digest, MatchesTheRfc2617Example) {
  // RFC 2617 §3.5.
  DigestCredentials c;
  c.username = "Mufasa";
  c.realm = "testrealm@host.com";
  c.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  c.uri = "/dir/index.html";
  c.qop = "auth";
  c.nc = "00000001";
  c.cnonce = "0a4f113b";
  c.response = "6629fae49393a05397450978507c4ef1";
  const std::string ha1 = digestHa1("Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_TRUE(verifyDigest(c, ha1, "GET"));
  EXPECT_FALSE(verifyDigest(c, ha1, "POST"));
  EXPECT_FALSE(verifyDigest(c, digestHa1("Mufasa", "testrealm@host.com", "wrong"), "GET"));
  c.response[0] = '7';
  EXPECT_FALSE(verifyDigest(c, ha1, "GET"));
}

TEST(Digest, ParsesQuotedParametersAndRejectsOtherSchemes) {
  auto c = parseDigestCredentials(
      "Digest", {"username=\"1001\"", "realm=\"demo.ting\"", "nonce=\"abc\"",
                 "uri=\"sip:demo.ting\"", "response=\"00ff\"", "qop=auth", "nc=00000001",
                 "cnonce=\"x\"", "algorithm=MD5"});
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(c->username, "1001");
  EXPECT_EQ(c->qop, "auth");
  EXPECT_FALSE(parseDigestCredentials("Basic", {"username=\"a\""}).isOk());
  EXPECT_FALSE(parseDigestCredentials("Digest", {"username=\"a\""}).isOk());
  EXPECT_FALSE(parseDigestCredentials("Digest", {"username=a", "realm=r", "nonce=n", "uri=u",
                                                 "response=r", "algorithm=SHA-256"})
                   .isOk());
}

TEST(NonceIssuer, AcceptsItsOwnFreshNoncesOnly) {
  NonceIssuer issuer("secret", 60'000);
  const std::string n = issuer.issue(1'000'000);
  EXPECT_EQ(issuer.check(n, 1'000'500), NonceIssuer::Check::kValid);
  EXPECT_EQ(issuer.check(n, 1'070'000), NonceIssuer::Check::kStale);
  EXPECT_EQ(NonceIssuer("other").check(n, 1'000'500), NonceIssuer::Check::kInvalid);
  EXPECT_EQ(issuer.check("12345.deadbeef", 1'000'500), NonceIssuer::Check::kInvalid);
  EXPECT_EQ(issuer.check("garbage", 1'000'500), NonceIssuer::Check::kInvalid);
}

TEST(SipDirectory, FindsTenantsByDomainAndTrunksByMostSpecificNetwork) {
  SipDirectory dir;
  DirectorySnapshot snap;
  snap.tenants.push_back({1, "demo.ting", {"127.0.0.1"}, 0});
  snap.tenants.push_back({2, "acme.example", {}, 5});
  snap.accounts.push_back({1, 10, "1001", "ha1"});
  Trunk wide{1, 2, "wide", 0, 8};
  ASSERT_TRUE(parseCidr("10.0.0.0/8", wide.network, wide.prefix));
  Trunk exact{2, 1, "exact", 0, 32};
  ASSERT_TRUE(parseCidr("10.1.2.3", exact.network, exact.prefix));
  snap.trunks = {wide, exact};
  dir.replace(snap);
  EXPECT_EQ(dir.tenantByDomain("DEMO.ting")->id, 1);
  EXPECT_EQ(dir.tenantByDomain("127.0.0.1")->id, 1);
  EXPECT_FALSE(dir.tenantByDomain("evil.example").has_value());
  EXPECT_EQ(dir.account(1, "1001")->ha1, "ha1");
  EXPECT_FALSE(dir.account(2, "1001").has_value());  // tenants never see each other's phones
  EXPECT_EQ(dir.trunkByAddress(0x0A010203)->name, "exact");
  EXPECT_EQ(dir.trunkByAddress(0x0A090909)->name, "wide");
  EXPECT_FALSE(dir.trunkByAddress(0x0B000001).has_value());
  std::uint32_t net;
  int prefix;
  EXPECT_FALSE(parseCidr("10.0.0.0/33", net, prefix));
  EXPECT_FALSE(parseCidr("not-an-ip", net, prefix));
}

TEST(SipDirectory, OutboundTrunksPerTenantByNameOrFirst) {
  SipDirectory dir;
  DirectorySnapshot snap;
  snap.outbound.push_back({7, 1, "backup", "sip:backup.example", "u", "p", ""});
  snap.outbound.push_back({3, 1, "main", "sip:main.example:5080", "u", "p", "4000"});
  snap.outbound.push_back({5, 2, "other", "sip:other.example", "u", "p", ""});
  dir.replace(snap);
  EXPECT_EQ(dir.outboundTrunk(1, "")->name, "main");  // the lowest id
  EXPECT_EQ(dir.outboundTrunk(1, "backup")->uri, "sip:backup.example");
  EXPECT_FALSE(dir.outboundTrunk(1, "other").has_value());  // another tenant's
  EXPECT_FALSE(dir.outboundTrunk(3, "").has_value());
}

TEST(SipDirectory, DialUriPutsTheNumberBeforeTheTrunkHost) {
  EXPECT_EQ(dialUri("sip:main.example:5080;transport=tcp", "95588"),
            "sip:95588@main.example:5080;transport=tcp");
  EXPECT_EQ(dialUri("sip:gw@10.0.0.1", "+8613800138000"), "sip:+8613800138000@10.0.0.1");
  EXPECT_EQ(dialUri("sips:secure.example", "1"), "sips:1@secure.example");
}

TEST(AuthThrottle, BlocksASourceAfterRepeatedFailuresForAWhile) {
  AuthThrottle t(3, std::chrono::seconds(60), std::chrono::seconds(600));
  const std::uint32_t ip = 0x01020304;
  EXPECT_FALSE(t.fail(ip, 1000));
  EXPECT_FALSE(t.fail(ip, 2000));
  EXPECT_FALSE(t.blocked(ip, 2000));
  EXPECT_TRUE(t.fail(ip, 3000));
  EXPECT_TRUE(t.blocked(ip, 4000));
  EXPECT_FALSE(t.blocked(0x01020305, 4000));
  EXPECT_FALSE(t.blocked(ip, 3000 + 600'001));
  // Failures spread beyond the window do not add up.
  AuthThrottle slow(3, std::chrono::seconds(60), std::chrono::seconds(600));
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(slow.fail(ip, i * 61'000));
}

}  // namespace
}  // namespace ting::sip
