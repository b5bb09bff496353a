#include "tts/espeak_engine.h"

#include <gtest/gtest.h>

#include "tts/audio_test_util.h"

namespace ting::tts {
namespace {

double seconds(const Pcm& pcm) {
  return static_cast<double>(pcm.size()) / kTelephoneRate;
}

TEST(EspeakEngine, SpeaksMandarinWithThePinyinVoice) {
  auto engine = EspeakEngine::create();
  ASSERT_TRUE(engine) << engine.status().message();
  auto pcm = (*engine)->render("cmn-latn-pinyin", "您好，欢迎致电。");
  ASSERT_TRUE(pcm) << pcm.status().message();
  EXPECT_GT(seconds(*pcm), 0.5);
  EXPECT_LT(seconds(*pcm), 10);
  EXPECT_GT(testing::rms(*pcm), 500);
}

TEST(EspeakEngine, SpeaksEnglishAndSwitchesVoicesBetweenRenders) {
  auto engine = EspeakEngine::create();
  ASSERT_TRUE(engine) << engine.status().message();
  for (const char* voice : {"en", "cmn-latn-pinyin", "en"}) {
    auto pcm = (*engine)->render(voice, "Welcome");
    ASSERT_TRUE(pcm) << pcm.status().message();
    EXPECT_GT(seconds(*pcm), 0.3) << voice;
    EXPECT_LT(seconds(*pcm), 10) << voice;
    EXPECT_GT(testing::rms(*pcm), 500) << voice;
  }
  // The padding at the end is silence.
  auto pcm = (*engine)->render("en", "Welcome");
  ASSERT_TRUE(pcm);
  EXPECT_EQ(testing::rms(std::span(*pcm).last(kTelephoneRate / 10)), 0);
}

TEST(EspeakEngine, RefusesUnknownVoicesAndEmptyText) {
  auto engine = EspeakEngine::create();
  ASSERT_TRUE(engine) << engine.status().message();
  for (const char* voice : {"no-such-voice", "", "../voices/en", "en us"}) {
    EXPECT_EQ((*engine)->render(voice, "hello").status().code(), StatusCode::kInvalidValue)
        << voice;
  }
  EXPECT_EQ((*engine)->render("en", "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*engine)->render("en", std::string(5000, 'a')).status().code(),
            StatusCode::kInvalidArgument);
  // Still works after the errors.
  EXPECT_TRUE((*engine)->render("en", "yes"));
}

TEST(EspeakEngine, OnlyOneExistsAtATime) {
  auto first = EspeakEngine::create();
  ASSERT_TRUE(first);
  EXPECT_EQ(EspeakEngine::create().status().code(), StatusCode::kUnavailable);
  first->reset();
  EXPECT_TRUE(EspeakEngine::create());
}

}  // namespace
}  // namespace ting::tts
