#include "api/telephony_fields.h"

#include <gtest/gtest.h>

namespace ting::api {
namespace {

TEST(TelephonyFields, DialNumbersAndExtensions) {
  for (const char* ok : {"4000", "+8613800138000", "1"}) {
    EXPECT_TRUE(isDialNumber(ok)) << ok;
  }
  EXPECT_TRUE(isDialNumber(std::string(32, '9')));
  for (const char* bad : {"", "+", "40 00", "4000+", "++1", "12a", "-1"}) {
    EXPECT_FALSE(isDialNumber(bad)) << bad;
  }
  EXPECT_FALSE(isDialNumber(std::string(33, '9')));
  EXPECT_TRUE(isSipExtension("10"));
  EXPECT_TRUE(isSipExtension("1234567890"));
  EXPECT_FALSE(isSipExtension("1"));
  EXPECT_FALSE(isSipExtension("12345678901"));
  EXPECT_FALSE(isSipExtension("10a"));
}

TEST(TelephonyFields, InboundAddressIsAnIpv4AddressOrNetwork) {
  std::uint32_t net = 0;
  int prefix = 0;
  ASSERT_TRUE(checkInboundAddress("203.0.113.5", "inbound_address", net, prefix).isOk());
  EXPECT_EQ(prefix, 32);
  EXPECT_EQ(net, 0xCB007105u);
  ASSERT_TRUE(checkInboundAddress("203.0.113.77/24", "inbound_address", net, prefix).isOk());
  EXPECT_EQ(prefix, 24);
  EXPECT_EQ(net, 0xCB007100u) << "host bits are cleared";
  for (const char* bad :
       {"", "203.0.113", "203.0.113.256", "203.0.113.0/33", "203.0.113.0/", "0.0.0.0/0",
        "10.0.0.0/7", "example.com", " 203.0.113.5", "2001:db8::1", "203.0.113.0/24/1"}) {
    Status s = checkInboundAddress(bad, "inbound_address", net, prefix);
    EXPECT_EQ(s.code(), StatusCode::kInvalidValue) << bad;
    EXPECT_EQ(s.field(), "inbound_address") << bad;
  }
}

TEST(TelephonyFields, OverlappingNetworks) {
  EXPECT_TRUE(networksOverlap(0x0A000000, 8, 0x0A010203, 32));
  EXPECT_TRUE(networksOverlap(0x0A010203, 32, 0x0A000000, 8));
  EXPECT_TRUE(networksOverlap(0x0A010203, 32, 0x0A010203, 32));
  EXPECT_FALSE(networksOverlap(0x0A000000, 8, 0x0B000000, 8));
  EXPECT_FALSE(networksOverlap(0xC0A80100, 24, 0xC0A80200, 24));
}

TEST(TelephonyFields, SipUris) {
  for (const char* ok :
       {"sip:carrier.example.com", "sips:carrier.example.com:5061", "sip:+8610@198.51.100.7",
        "sip:gw.example.com;transport=tcp", "SIP:trunk-1.example.net:5080;lr",
        "sip:user@[2001:db8::1]:5060", "sip:203.0.113.9"}) {
    EXPECT_TRUE(checkSipUri(ok, "outbound_uri").isOk()) << ok;
  }
  for (const char* bad : {"", "carrier.example.com", "tel:+8610", "http://x", "sip:", "sip:@host",
                          "sip:host:0", "sip:host:70000", "sip:host:", "sip:bad host",
                          "sip:-bad.example.com", "sip:a..b", "sip:[2001:db8::1", "sip:[zz]",
                          "sip:host;x=<y>", "sip:999.1.1.1", "sip:user:password@host"}) {
    Status s = checkSipUri(bad, "outbound_uri");
    EXPECT_EQ(s.code(), StatusCode::kInvalidValue) << bad;
    EXPECT_EQ(s.field(), "outbound_uri") << bad;
  }
  EXPECT_NE(checkSipUri("sip:u:pw@host", "outbound_uri").message().find("secret"),
            std::string::npos);
  EXPECT_FALSE(checkSipUri("sip:" + std::string(300, 'a'), "outbound_uri").isOk());
}

TEST(TelephonyFields, SipDomains) {
  auto d = checkSipDomain("Acme.Example.COM", "sip_domain");
  ASSERT_TRUE(d.isOk());
  EXPECT_EQ(*d, "acme.example.com");
  EXPECT_TRUE(checkSipDomain("192.0.2.10", "sip_domain").isOk());
  for (const char* bad :
       {"", "acme example", "acme.", "-acme.com", "192.0.2.300", "a_b.com", "sip:acme.com"}) {
    auto r = checkSipDomain(bad, "sip_domain");
    ASSERT_FALSE(r.isOk()) << bad;
    EXPECT_EQ(r.status().field(), "sip_domain") << bad;
  }
}

}  // namespace
}  // namespace ting::api
