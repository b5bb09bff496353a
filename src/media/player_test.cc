#include "media/player.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "media/inband_dtmf.h"

namespace ting::media {
namespace {

PcmPtr ramp(size_t n, std::int16_t start) {
  auto p = std::make_shared<Pcm>(n);
  for (size_t i = 0; i < n; ++i) (*p)[i] = static_cast<std::int16_t>(start + i);
  return p;
}

TEST(Player, PlaysSegmentsInOrderAcrossFrameBoundariesThenReportsTheEnd) {
  Player player;
  player.start({ramp(100, 0), ramp(100, 1000)}, false);
  std::array<std::int16_t, kFrameSamples> frame{};
  EXPECT_FALSE(player.fill(frame));
  EXPECT_EQ(frame[0], 0);
  EXPECT_EQ(frame[99], 99);
  EXPECT_EQ(frame[100], 1000);
  EXPECT_EQ(frame[159], 1059);
  EXPECT_TRUE(player.fill(frame));  // the last 40 samples, then silence
  EXPECT_EQ(frame[39], 1099);
  EXPECT_EQ(frame[40], 0);
  EXPECT_FALSE(player.active());
}

TEST(Player, LoopsForMusicOnHold) {
  Player player;
  player.start({ramp(100, 0)}, true);
  std::array<std::int16_t, kFrameSamples> frame{};
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(player.fill(frame));
  EXPECT_TRUE(player.active());
  // 1600 samples played: the loop is back at its start.
  player.fill(frame);
  EXPECT_EQ(frame[0], 0);
}

TEST(Player, EmptySegmentsAreSkipped) {
  Player player;
  player.start({std::make_shared<Pcm>(), nullptr}, false);
  EXPECT_FALSE(player.active());
}

TEST(ToneGenerator, StopsAfterItsDurationWithCadence) {
  ToneGenerator tone;
  tone.start({.freq1_hz = 1000, .level = 0.5, .on_ms = 20, .off_ms = 20, .total_ms = 80});
  std::array<std::int16_t, kFrameSamples> frame{};
  tone.fill(frame);
  int loud = 0;
  for (auto s : frame) loud += std::abs(s) > 1000;
  EXPECT_GT(loud, 50);  // on
  tone.fill(frame);
  for (auto s : frame) EXPECT_EQ(s, 0);  // off
  tone.fill(frame);
  EXPECT_TRUE(tone.fill(frame));
  EXPECT_FALSE(tone.active());
}

TEST(InbandDtmf, DetectsEachDigitOnceFromGeneratedTones) {
  // DTMF frequencies (ITU-T Q.23) for '5' and '#'.
  InbandDtmfDetector detector;
  std::string got;
  auto send = [&](double low, double high) {
    ToneGenerator tone;
    tone.start({.freq1_hz = low, .freq2_hz = high, .level = 0.2, .total_ms = 100});
    std::array<std::int16_t, kFrameSamples> frame{};
    for (int i = 0; i < 5; ++i) {
      tone.fill(frame);
      got += detector.process(frame);
    }
    frame.fill(0);
    for (int i = 0; i < 5; ++i) got += detector.process(frame);
  };
  send(770, 1336);
  send(941, 1477);
  EXPECT_EQ(got, "5#");
}

TEST(InbandDtmf, SpeechLikeSingleToneIsNotADigit) {
  InbandDtmfDetector detector;
  ToneGenerator tone;
  tone.start({.freq1_hz = 440, .level = 0.3, .total_ms = 1000});
  std::array<std::int16_t, kFrameSamples> frame{};
  std::string got;
  for (int i = 0; i < 50; ++i) {
    tone.fill(frame);
    got += detector.process(frame);
  }
  EXPECT_EQ(got, "");
}

}  // namespace
}  // namespace ting::media
