#include "media/rtp_packet.h"

#include <gtest/gtest.h>

namespace ting::media {

TEST(RtpPacket, WritesAndParsesTheFixedHeader) {
  std::vector<std::uint8_t> buf;
  std::vector<std::uint8_t> payload(160, 0xFF);
  writeRtp({.marker = true,
            .payload_type = 8,
            .sequence = 65535,
            .timestamp = 0xDEADBEEF,
            .ssrc = 0x01020304},
           payload, buf);
  ASSERT_EQ(buf.size(), 172u);
  EXPECT_EQ(buf[0], 0x80);
  auto p = parseRtp(buf);
  ASSERT_TRUE(p.isOk()) << p.status().message();
  EXPECT_TRUE(p->header.marker);
  EXPECT_EQ(p->header.payload_type, 8);
  EXPECT_EQ(p->header.sequence, 65535);
  EXPECT_EQ(p->header.timestamp, 0xDEADBEEFu);
  EXPECT_EQ(p->header.ssrc, 0x01020304u);
  EXPECT_EQ(p->payload.size(), 160u);
}

TEST(RtpPacket, SkipsCsrcsExtensionAndPadding) {
  std::vector<std::uint8_t> b = {0xB1, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,  // P, X, CC=1
                                 9,    9,    9, 9,                          // CSRC
                                 0xBE, 0xDE, 0, 1, 7, 7, 7, 7,              // extension, 1 word
                                 0xAA, 0xBB, 0, 2};                         // payload, 2 padding
  auto p = parseRtp(b);
  ASSERT_TRUE(p.isOk()) << p.status().message();
  ASSERT_EQ(p->payload.size(), 2u);
  EXPECT_EQ(p->payload[0], 0xAA);
  EXPECT_EQ(p->payload[1], 0xBB);
}

TEST(RtpPacket, RejectsWhatIsNotRtp) {
  std::vector<std::vector<std::uint8_t>> bad = {
      {},
      {0x80, 0, 0, 1},                                      // short
      {0x40, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3},              // version 1
      {0x81, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3},              // CSRC missing
      {0x90, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 9},  // extension overruns
      {0xA0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 200},   // padding overruns
      {0xA0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 0},     // zero padding count
  };
  for (const auto& b : bad) {
    EXPECT_EQ(parseRtp(b).status().code(), StatusCode::kInvalidArgument) << b.size();
  }
}

}  // namespace ting::media
