#include "media/g711.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace ting::media {

TEST(G711, SilenceHasItsWellKnownCodes) {
  EXPECT_EQ(linearToUlaw(0), 0xFF);
  EXPECT_EQ(ulawToLinear(0xFF), 0);
  EXPECT_EQ(linearToAlaw(0), 0xD5);
  EXPECT_EQ(alawToLinear(0xD5), 8);
}

TEST(G711, EveryCodeSurvivesDecodeThenEncode) {
  for (int code = 0; code < 256; ++code) {
    if (code != 0x7F) {  // mu-law "negative zero" decodes to 0, which encodes as 0xFF
      EXPECT_EQ(linearToUlaw(ulawToLinear(static_cast<std::uint8_t>(code))), code) << code;
    }
    EXPECT_EQ(linearToAlaw(alawToLinear(static_cast<std::uint8_t>(code))), code) << code;
  }
}

TEST(G711, FrameEncodersAgreeWithTheSampleFunctionsForEveryValue) {
  std::vector<std::int16_t> all;
  for (int v = -32768; v <= 32767; ++v) all.push_back(static_cast<std::int16_t>(v));
  std::vector<std::uint8_t> ulaw(all.size()), alaw(all.size());
  encodeUlaw(all, ulaw);
  encodeAlaw(all, alaw);
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(ulaw[i], linearToUlaw(all[i])) << all[i];
    ASSERT_EQ(alaw[i], linearToAlaw(all[i])) << all[i];
  }
}

TEST(G711, ExtremesClipInsteadOfWrapping) {
  EXPECT_GT(ulawToLinear(linearToUlaw(32767)), 30000);
  EXPECT_LT(ulawToLinear(linearToUlaw(-32768)), -30000);
  EXPECT_GT(alawToLinear(linearToAlaw(32767)), 30000);
  EXPECT_LT(alawToLinear(linearToAlaw(-32768)), -30000);
}

double snrDb(bool ulaw) {
  std::vector<std::int16_t> in(8000), back(8000);
  std::vector<std::uint8_t> coded(8000);
  for (size_t i = 0; i < in.size(); ++i) {
    in[i] = static_cast<std::int16_t>(10000 * std::sin(2 * M_PI * 1000 * i / 8000.0));
  }
  if (ulaw) {
    encodeUlaw(in, coded);
    decodeUlaw(coded, back);
  } else {
    encodeAlaw(in, coded);
    decodeAlaw(coded, back);
  }
  double signal = 0, noise = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    signal += double(in[i]) * in[i];
    noise += double(in[i] - back[i]) * (in[i] - back[i]);
  }
  return 10 * std::log10(signal / noise);
}

TEST(G711, ToneKeepsTheTollQualitySignalToNoiseRatio) {
  // G.711 gives about 38 dB SNR for a loud tone; anything broken lands far lower.
  EXPECT_GT(snrDb(true), 33);
  EXPECT_GT(snrDb(false), 33);
}

}  // namespace ting::media
