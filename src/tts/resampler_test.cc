#include "tts/resampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace ting::tts {
namespace {

TEST(Resampler, OutputLengthFollowsTheRateRatio) {
  for (int rate : {6000, 8000, 11025, 16000, 22050, 44100, 48000, 96000}) {
    for (size_t n : {size_t{1}, size_t{7}, size_t{1000}, size_t{12345}}) {
      std::vector<std::int16_t> in(n, 1000);
      const auto expected = (n * 8000 + static_cast<size_t>(rate) / 2) / static_cast<size_t>(rate);
      EXPECT_EQ(resampleTo8k(in, rate).size(), expected) << rate << " Hz, " << n << " samples";
    }
  }
}

TEST(Resampler, AnImpulseKeepsItsPlaceInTime) {
  // 100 ms in: the filter's delay is removed, so the peak stays near 100 ms.
  for (int rate : {16000, 22050, 44100}) {
    std::vector<std::int16_t> in(static_cast<size_t>(rate) / 2, 0);
    in[static_cast<size_t>(rate) / 10] = 30000;
    const Pcm out = resampleTo8k(in, rate);
    auto peak = std::max_element(out.begin(), out.end(),
                                 [](auto a, auto b) { return std::abs(a) < std::abs(b); });
    EXPECT_NEAR(static_cast<double>(peak - out.begin()), 800, 1) << rate;
  }
}

TEST(Resampler, EightKilohertzIsCopied) {
  std::vector<std::int16_t> in = {1, -2, 3, 32767, -32768};
  EXPECT_EQ(resampleTo8k(in, 8000), Pcm(in.begin(), in.end()));
}

TEST(Resampler, LoudInputClipsInsteadOfWrapping) {
  Resampler resampler(8000);
  Pcm out;
  const std::vector<float> in = {40000.0f, -40000.0f};
  resampler.push(in, out);
  resampler.finish(out);
  EXPECT_EQ(out, (Pcm{32767, -32768}));
}

}  // namespace
}  // namespace ting::tts
