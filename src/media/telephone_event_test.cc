#include "media/telephone_event.h"

#include <gtest/gtest.h>

#include <string>

namespace ting::media {

struct Sender {
  std::uint32_t ssrc = 1;
  std::uint16_t seq = 100;

  // The packets of one key press as RFC 4733 §2.5 sends them: updates every
  // 50 ms, then the end packet three times, all with the event's timestamp.
  std::vector<std::pair<RtpHeader, std::array<std::uint8_t, 4>>> press(char digit,
                                                                       std::uint32_t ts) {
    std::vector<std::pair<RtpHeader, std::array<std::uint8_t, 4>>> out;
    for (int i = 0; i < 7; ++i) {
      TelephoneEvent e{*dtmfEvent(digit), i >= 4, 10, static_cast<std::uint16_t>(400 * (i + 1))};
      std::array<std::uint8_t, 4> payload;
      writeTelephoneEvent(e, payload);
      out.push_back({RtpHeader{i == 0, 101, seq++, ts, ssrc}, payload});
    }
    return out;
  }
};

std::string receive(DtmfReceiver& rx,
                    const std::vector<std::pair<RtpHeader, std::array<std::uint8_t, 4>>>& packets) {
  std::string digits;
  for (const auto& [h, p] : packets) {
    if (auto d = rx.onPacket(h, p)) digits += *d;
  }
  return digits;
}

TEST(DtmfReceiver, EachPressIsOneDigitDespiteRepeatedEndPackets) {
  DtmfReceiver rx;
  Sender s;
  EXPECT_EQ(receive(rx, s.press('1', 8000)), "1");
  EXPECT_EQ(receive(rx, s.press('1', 16000)), "1") << "the same key again is a new event";
  EXPECT_EQ(receive(rx, s.press('#', 24000)), "#");
}

TEST(DtmfReceiver, NewSsrcAndSequenceBaseMidCallStillWork) {
  DtmfReceiver rx;
  Sender a{.ssrc = 0x1111, .seq = 5};
  Sender b{.ssrc = 0x2222, .seq = 60000};
  std::string got = receive(rx, a.press('4', 1000));
  got += receive(rx, b.press('2', 1000));  // same timestamp, other stream
  got += receive(rx, a.press('*', 9000));
  EXPECT_EQ(got, "42*");
}

TEST(DtmfReceiver, DuplicatedAndReorderedPacketsDoNotRepeatDigits) {
  DtmfReceiver rx;
  Sender s;
  auto first = s.press('7', 8000);
  auto second = s.press('8', 16000);
  std::vector<std::pair<RtpHeader, std::array<std::uint8_t, 4>>> mixed;
  mixed.insert(mixed.end(), first.begin(), first.begin() + 3);
  mixed.insert(mixed.end(), second.begin(), second.begin() + 2);
  mixed.insert(mixed.end(), first.begin() + 3, first.end());  // late end packets of '7'
  mixed.insert(mixed.end(), second.begin() + 2, second.end());
  mixed.push_back(first.front());  // a stray duplicate
  EXPECT_EQ(receive(rx, mixed), "78");
}

TEST(DtmfReceiver, IgnoresFlashAndShortPayloads) {
  DtmfReceiver rx;
  std::array<std::uint8_t, 4> flash{16, 0x80, 0, 160};
  EXPECT_FALSE(rx.onPacket({false, 101, 1, 1, 1}, flash));
  std::array<std::uint8_t, 2> runt{1, 0};
  EXPECT_FALSE(rx.onPacket({false, 101, 2, 2, 1}, runt));
}

TEST(TelephoneEvent, DigitsMapBothWays) {
  for (char c : std::string("0123456789*#ABCD")) {
    auto e = dtmfEvent(c);
    ASSERT_TRUE(e) << c;
    EXPECT_EQ(dtmfDigit(*e), c);
  }
  EXPECT_EQ(dtmfEvent('a'), dtmfEvent('A'));
  EXPECT_FALSE(dtmfEvent('x'));
}

}  // namespace ting::media
