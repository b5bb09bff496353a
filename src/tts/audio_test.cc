#include "tts/audio.h"

#include <gtest/gtest.h>
#include <sndfile.h>

#include <filesystem>
#include <string>

#include "tts/audio_test_util.h"

namespace ting::tts {
namespace {

using testing::encodeAudio;
using testing::rms;
using testing::sine;
using testing::toneShare;

std::filesystem::path freshDir(const std::string& name) {
  auto dir = std::filesystem::path(::testing::TempDir()) / ("ting_tts_audio_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

struct FormatCase {
  const char* name;
  int rate;
  int channels;
  int format;
};

class DecodeFormat : public ::testing::TestWithParam<FormatCase> {};

TEST_P(DecodeFormat, OneKilohertzToneStaysOneKilohertzAtEightKilohertz) {
  const FormatCase& c = GetParam();
  const double seconds = 0.5;
  auto bytes = encodeAudio(sine(1000, c.rate, seconds, c.channels), c.rate, c.channels, c.format);
  ASSERT_FALSE(bytes.empty());

  auto pcm = decodeAudio(bytes);
  ASSERT_TRUE(pcm) << pcm.status().message();
  EXPECT_NEAR(static_cast<double>(pcm->size()), seconds * 8000, 1);
  EXPECT_GT(toneShare(*pcm, 1000), 0.95);
  // Amplitude 0.5 of full scale: RMS 0.5 * 32768 / sqrt(2).
  EXPECT_NEAR(rms(*pcm), 11585, 11585 * 0.06);
  // The start is not chopped by the resampler's delay.
  EXPECT_GT(rms(std::span(*pcm).first(80)), 11585 * 0.5);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, DecodeFormat,
    ::testing::Values(FormatCase{"wav16k16bit", 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16},
                      FormatCase{"wav44k1StereoFloat", 44100, 2, SF_FORMAT_WAV | SF_FORMAT_FLOAT},
                      FormatCase{"wav8kAlaw", 8000, 1, SF_FORMAT_WAV | SF_FORMAT_ALAW},
                      FormatCase{"wav8kUlaw", 8000, 1, SF_FORMAT_WAV | SF_FORMAT_ULAW},
                      FormatCase{"wav22k05Unsigned8", 22050, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_U8},
                      FormatCase{"wav48k24bit6ch", 48000, 6, SF_FORMAT_WAVEX | SF_FORMAT_PCM_24},
                      FormatCase{"wav11k025Int32", 11025, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_32},
                      FormatCase{"aiff32k", 32000, 2, SF_FORMAT_AIFF | SF_FORMAT_PCM_16},
                      FormatCase{"flac48k", 48000, 1, SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
                      FormatCase{"wav6kUpsampled", 6000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(DecodeAudio, LossyFormatsKeepTheTone) {
  for (int format : {SF_FORMAT_WAV | SF_FORMAT_IMA_ADPCM, SF_FORMAT_WAV | SF_FORMAT_MS_ADPCM,
                     SF_FORMAT_OGG | SF_FORMAT_VORBIS, SF_FORMAT_OGG | SF_FORMAT_OPUS,
                     SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III}) {
    auto bytes = encodeAudio(sine(1000, 16000, 1), 16000, 1, format);
    ASSERT_FALSE(bytes.empty()) << std::hex << format;
    auto pcm = decodeAudio(bytes);
    ASSERT_TRUE(pcm) << std::hex << format << ": " << pcm.status().message();
    EXPECT_NEAR(static_cast<double>(pcm->size()), 8000, 400) << std::hex << format;
    EXPECT_GT(toneShare(*pcm, 1000), 0.9) << std::hex << format;
  }
}

TEST(DecodeAudio, StereoIsTheMeanOfItsChannels) {
  // Left and right in opposite phase cancel out.
  auto left = sine(1000, 8000, 0.25);
  std::vector<float> stereo;
  for (float v : left) {
    stereo.push_back(v);
    stereo.push_back(-v);
  }
  auto pcm = decodeAudio(encodeAudio(stereo, 8000, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_16));
  ASSERT_TRUE(pcm);
  EXPECT_EQ(pcm->size(), 2000u);
  EXPECT_LT(rms(*pcm), 2);
}

TEST(DecodeAudio, RefusesWhatIsNotAcceptableAudio) {
  auto refused = [](std::span<const std::uint8_t> bytes, AudioLimits limits = {}) {
    auto r = decodeAudio(bytes, limits);
    EXPECT_FALSE(r);
    return r ? StatusCode::kOk : r.status().code();
  };
  const std::string text = "this is not audio, just some text that goes on for a while";
  EXPECT_EQ(refused({}), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}),
            StatusCode::kInvalidArgument);

  auto wav = encodeAudio(sine(1000, 8000, 2), 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  EXPECT_EQ(refused(std::span(wav).first(30)), StatusCode::kInvalidArgument);  // cut header
  EXPECT_EQ(refused(wav, AudioLimits{.max_seconds = 1}), StatusCode::kInvalidArgument);

  auto silent = encodeAudio({}, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  ASSERT_FALSE(silent.empty());
  EXPECT_EQ(refused(silent), StatusCode::kInvalidArgument);

  auto nine = encodeAudio(sine(1000, 8000, 0.1, 9), 8000, 9, SF_FORMAT_WAVEX | SF_FORMAT_PCM_16);
  ASSERT_FALSE(nine.empty());
  EXPECT_EQ(refused(nine), StatusCode::kInvalidArgument);
  EXPECT_TRUE(decodeAudio(nine, AudioLimits{.max_channels = 9}));

  // A format libsndfile reads but Ting does not accept.
  auto voc = encodeAudio(sine(1000, 8000, 0.1), 8000, 1, SF_FORMAT_VOC | SF_FORMAT_PCM_16);
  ASSERT_FALSE(voc.empty());
  EXPECT_EQ(refused(voc), StatusCode::kInvalidArgument);
}

TEST(DecodeAudio, CutDataDecodesWhatIsThere) {
  auto wav = encodeAudio(sine(1000, 8000, 1), 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  auto pcm = decodeAudio(std::span(wav).first(wav.size() - size_t{8000}));  // half the data
  ASSERT_TRUE(pcm) << pcm.status().message();
  EXPECT_EQ(pcm->size(), 4000u);
}

TEST(WriteWav8k, WritesSixteenBitMonoThatReadsBackExactly) {
  auto dir = freshDir("roundtrip");
  Pcm pcm(1234);
  for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<std::int16_t>(i * 53 - 30000);
  const auto path = dir / "p.wav";
  ASSERT_TRUE(writeWav8k(path, pcm));
  ASSERT_TRUE(writeWav8k(path, pcm));  // replaces

  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  ASSERT_NE(file, nullptr);
  sf_close(file);
  EXPECT_EQ(info.samplerate, 8000);
  EXPECT_EQ(info.channels, 1);
  EXPECT_EQ(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);

  auto back = readAudioFile(path);
  ASSERT_TRUE(back) << back.status().message();
  EXPECT_EQ(*back, pcm);
  // Only the file itself: no temporary left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
}

TEST(WriteWav8k, FailsWhenTheDirectoryIsMissing) {
  auto dir = freshDir("missing");
  EXPECT_EQ(writeWav8k(dir / "no" / "p.wav", Pcm(10)).code(), StatusCode::kInternal);
}

TEST(ReadAudioFile, MissingFileIsNotFound) {
  auto dir = freshDir("notfound");
  EXPECT_EQ(readAudioFile(dir / "none.wav").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ting::tts
