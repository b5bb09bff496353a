#include "tts/prompt_cache.h"

#include <gtest/gtest.h>
#include <sndfile.h>

#include <atomic>
#include <future>
#include <latch>
#include <mutex>

#include "tts/audio_test_util.h"

namespace ting::tts {
namespace {

// Counts renders; text "slow" waits until release() so tests can hold the
// worker busy. Voice "nope" is unknown.
class FakeEngine final : public TtsEngine {
 public:
  struct Shared {
    std::atomic<int> renders{0};
    std::promise<void> slow_started;
    std::promise<void> slow_release;
    std::shared_future<void> released = slow_release.get_future().share();
  };

  explicit FakeEngine(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

  Result<Pcm> render(std::string_view voice, std::string_view text) override {
    if (voice == "nope") return invalidValue("unknown voice", "voice");
    ++shared_->renders;
    if (text == "slow") {
      shared_->slow_started.set_value();
      shared_->released.wait();
    }
    Pcm pcm(800);
    for (size_t i = 0; i < pcm.size(); ++i) {
      pcm[i] = static_cast<std::int16_t>((i * (text.size() + voice.size())) % 20000);
    }
    return pcm;
  }

 private:
  std::shared_ptr<Shared> shared_;
};

class PromptCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("ting_prompts_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<PromptCache> makeCache(size_t memory = PromptCache::kDefaultMemoryBytes) {
    engine_ = std::make_shared<FakeEngine::Shared>();
    return std::make_unique<PromptCache>(dir_, std::make_unique<FakeEngine>(engine_), memory);
  }

  static std::vector<std::uint8_t> toneWav(double hz, int rate, double seconds) {
    return testing::encodeAudio(testing::sine(hz, rate, seconds), rate, 1,
                                SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  }

  size_t filesUnder(const std::filesystem::path& p) {
    if (!std::filesystem::exists(p)) return 0;
    return static_cast<size_t>(std::distance(std::filesystem::recursive_directory_iterator(p), {}));
  }

  std::filesystem::path dir_;
  std::shared_ptr<FakeEngine::Shared> engine_;
};

TEST_F(PromptCacheTest, SecondRequestIsServedFromMemory) {
  auto cache = makeCache();
  const auto key = PromptKey::speech("en", "Welcome");
  EXPECT_EQ(cache->cached(key), nullptr);
  auto first = cache->getBlocking(key);
  ASSERT_TRUE(first) << first.status().message();
  auto second = cache->getBlocking(key);
  ASSERT_TRUE(second);
  EXPECT_EQ(*first, *second);  // the same shared audio
  EXPECT_EQ(cache->cached(key), *first);
  EXPECT_EQ(engine_->renders, 1);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "tts" / (speechHash("en", "Welcome") + ".wav")));
}

TEST_F(PromptCacheTest, ANewCacheReadsEarlierRendersFromDisk) {
  PcmPtr rendered;
  {
    auto cache = makeCache();
    rendered = cache->getBlocking(PromptKey::speech("en", "Welcome")).value();
  }
  auto cache = makeCache();
  auto again = cache->getBlocking(PromptKey::speech("en", "Welcome"));
  ASSERT_TRUE(again) << again.status().message();
  EXPECT_EQ(**again, *rendered);
  EXPECT_EQ(engine_->renders, 0);
  // Voice and text both make the key.
  ASSERT_TRUE(cache->getBlocking(PromptKey::speech("de", "Welcome")));
  EXPECT_EQ(engine_->renders, 1);
}

TEST_F(PromptCacheTest, IdenticalRequestsInFlightShareOneRender) {
  auto cache = makeCache();
  std::latch all_done(8);
  std::mutex mu;
  std::vector<Result<PcmPtr>> results;
  auto collect = [&](Result<PcmPtr> r) {
    {
      std::lock_guard lock(mu);
      results.push_back(std::move(r));
    }
    all_done.count_down();
  };
  cache->request(PromptKey::speech("en", "slow"), collect);
  engine_->slow_started.get_future().wait();  // the worker is busy rendering "slow"
  for (int i = 0; i < 5; ++i) cache->request(PromptKey::speech("en", "queued"), collect);
  for (int i = 0; i < 2; ++i) cache->request(PromptKey::speech("en", "slow"), collect);
  engine_->slow_release.set_value();
  all_done.wait();

  EXPECT_EQ(engine_->renders, 2);
  for (const auto& r : results) EXPECT_TRUE(r);
}

TEST_F(PromptCacheTest, PrewarmRendersOnceAndRequestsJoinIt) {
  auto cache = makeCache();
  cache->prewarm({PromptKey::speech("en", "one"), PromptKey::speech("en", "two"),
                  PromptKey::speech("en", "one")});
  ASSERT_TRUE(cache->getBlocking(PromptKey::speech("en", "two")));
  ASSERT_TRUE(cache->getBlocking(PromptKey::speech("en", "one")));
  EXPECT_EQ(engine_->renders, 2);
}

TEST_F(PromptCacheTest, StoppingFailsQueuedRequests) {
  auto cache = makeCache();
  std::promise<Result<PcmPtr>> slow, queued, late;
  cache->request(PromptKey::speech("en", "slow"), [&](auto r) { slow.set_value(std::move(r)); });
  engine_->slow_started.get_future().wait();
  cache->request(PromptKey::speech("en", "queued"),
                 [&](auto r) { queued.set_value(std::move(r)); });
  cache->stop();
  cache->request(PromptKey::speech("en", "late"), [&](auto r) { late.set_value(std::move(r)); });
  EXPECT_EQ(late.get_future().get().status().code(), StatusCode::kUnavailable);
  engine_->slow_release.set_value();
  cache.reset();
  EXPECT_TRUE(slow.get_future().get());  // the job under way finished
  EXPECT_EQ(queued.get_future().get().status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(engine_->renders, 1);
}

TEST_F(PromptCacheTest, EngineErrorsReachTheCallerAndAreNotCached) {
  auto cache = makeCache();
  EXPECT_EQ(cache->getBlocking(PromptKey::speech("nope", "hi")).status().code(),
            StatusCode::kInvalidValue);
  EXPECT_EQ(cache->getBlocking(PromptKey::speech("nope", "hi")).status().code(),
            StatusCode::kInvalidValue);
  EXPECT_EQ(filesUnder(dir_ / "tts"), 0u);
}

TEST_F(PromptCacheTest, MemoryStaysWithinItsLimit) {
  auto cache = makeCache(1000);  // smaller than one 800-sample prompt
  const auto key = PromptKey::speech("en", "Welcome");
  ASSERT_TRUE(cache->getBlocking(key));
  EXPECT_EQ(cache->cached(key), nullptr);
  ASSERT_TRUE(cache->getBlocking(key));  // from disk
  EXPECT_EQ(engine_->renders, 1);
}

TEST_F(PromptCacheTest, UploadsRoundTripAndReplacingOneIsSeenAtOnce) {
  auto cache = makeCache();
  ASSERT_TRUE(cache->storeUpload(7, "welcome", toneWav(1000, 16000, 0.5)));
  EXPECT_TRUE(cache->uploadExists(7, "welcome"));
  EXPECT_FALSE(cache->uploadExists(8, "welcome"));
  EXPECT_EQ(cache->listUploads(7), std::vector<std::string>{"welcome"});
  EXPECT_TRUE(cache->listUploads(8).empty());

  const auto key = PromptKey::upload(7, "welcome");
  auto first = cache->getBlocking(key);
  ASSERT_TRUE(first) << first.status().message();
  EXPECT_EQ((*first)->size(), 4000u);
  EXPECT_GT(testing::toneShare(**first, 1000), 0.95);

  // Stored normalized: 16-bit mono 8 kHz.
  SF_INFO info{};
  SNDFILE* file = sf_open((dir_ / "7" / "welcome.wav").c_str(), SFM_READ, &info);
  ASSERT_NE(file, nullptr);
  sf_close(file);
  EXPECT_EQ(info.samplerate, 8000);
  EXPECT_EQ(info.channels, 1);
  EXPECT_EQ(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);

  ASSERT_TRUE(cache->storeUpload(7, "welcome", toneWav(500, 44100, 1)));
  auto second = cache->getBlocking(key);
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)->size(), 8000u);
  EXPECT_GT(testing::toneShare(**second, 500), 0.95);

  ASSERT_TRUE(cache->deleteUpload(7, "welcome"));
  EXPECT_EQ(cache->getBlocking(key).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cache->deleteUpload(7, "welcome").code(), StatusCode::kNotFound);
  EXPECT_TRUE(cache->listUploads(7).empty());
  EXPECT_EQ(engine_->renders, 0);
}

TEST_F(PromptCacheTest, BadUploadsAreRefusedAndNothingIsWritten) {
  auto cache = makeCache();
  const std::string junk = "RIFF but then nothing that makes a WAV file at all";
  EXPECT_EQ(cache
                ->storeUpload(7, "greeting",
                              {reinterpret_cast<const std::uint8_t*>(junk.data()), junk.size()})
                .code(),
            StatusCode::kInvalidArgument);
  const auto good = toneWav(1000, 8000, 0.1);
  for (const std::string& name :
       std::vector<std::string>{"", "../escape", "a.wav", "has space", std::string(65, 'x')}) {
    EXPECT_EQ(cache->storeUpload(7, name, good).code(), StatusCode::kInvalidArgument) << name;
    EXPECT_FALSE(cache->uploadExists(7, name));
  }
  EXPECT_EQ(cache->storeUpload(0, "greeting", good).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(filesUnder(dir_), 0u);
  EXPECT_EQ(cache->getBlocking(PromptKey::upload(7, "../escape")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(cache->getBlocking(PromptKey::upload(7, "absent")).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace ting::tts
