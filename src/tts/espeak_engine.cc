#include "tts/espeak_engine.h"

#include <espeak-ng/speak_lib.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include "tts/resampler.h"

namespace ting::tts {
namespace {

constexpr size_t kMaxVoiceName = 64;
constexpr int kMaxSeconds = 600;

std::atomic<bool> g_engine_alive{false};

// espeak_Initialize's result: the output rate in Hz, or a negative error.
int initializeOnce() {
  static std::once_flag once;
  static int rate = -1;
  std::call_once(once, [] {
    // DONT_EXIT: report missing data instead of calling exit().
    rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
  });
  return rate;
}

// Where espeak-ng's synthesis callback puts samples; passed as user_data.
struct Collected {
  std::vector<short> samples;
  size_t limit = 0;
  bool too_long = false;
};

// In synchronous mode espeak_Synth() calls this on the calling thread before
// it returns. Returning 1 aborts synthesis.
int onSamples(short* wav, int count, espeak_EVENT* events) {
  auto* out = static_cast<Collected*>(events->user_data);
  if (wav == nullptr || count <= 0) return 0;
  if (out->samples.size() + static_cast<size_t>(count) > out->limit) {
    out->too_long = true;
    return 1;
  }
  out->samples.insert(out->samples.end(), wav, wav + count);
  return 0;
}

// espeak-ng looks voice names up as paths under its data directory, so only
// plain names reach it.
bool plausibleVoiceName(std::string_view voice) {
  return !voice.empty() && voice.size() <= kMaxVoiceName &&
         std::all_of(voice.begin(), voice.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '+';
         });
}

}  // namespace

Result<std::unique_ptr<EspeakEngine>> EspeakEngine::create() {
  if (g_engine_alive.exchange(true)) {
    return unavailable("espeak-ng is already in use by another EspeakEngine");
  }
  const int rate = initializeOnce();
  if (rate <= 0) {
    g_engine_alive = false;
    return unavailable("espeak-ng failed to initialize (is espeak-ng-data installed?)");
  }
  espeak_SetSynthCallback(&onSamples);
  return std::unique_ptr<EspeakEngine>(new EspeakEngine(rate));
}

EspeakEngine::~EspeakEngine() {
  g_engine_alive = false;
}

Result<Pcm> EspeakEngine::render(std::string_view voice, std::string_view text) {
  if (text.empty()) return invalidArgument("the text to speak is empty", "text");
  if (text.size() > kMaxTextBytes) {
    return invalidArgument(
        "the text to speak is longer than " + std::to_string(kMaxTextBytes) + " bytes", "text");
  }
  if (text.find('\0') != std::string_view::npos) {
    return invalidArgument("the text to speak contains a NUL character", "text");
  }
  if (!plausibleVoiceName(voice)) return invalidValue("unknown voice", "voice");
  if (voice != voice_) {
    const std::string name(voice);
    if (espeak_SetVoiceByName(name.c_str()) != EE_OK) {
      voice_.clear();
      return invalidValue("unknown voice " + name, "voice");
    }
    voice_ = name;
  }

  Collected collected;
  collected.limit = static_cast<size_t>(rate_) * kMaxSeconds;
  const std::string utf8(text);  // espeak-ng reads up to a NUL
  const espeak_ERROR err = espeak_Synth(utf8.c_str(), utf8.size() + 1, 0, POS_CHARACTER, 0,
                                        espeakCHARS_UTF8 | espeakENDPAUSE, nullptr, &collected);
  if (collected.too_long) {
    return invalidArgument("the speech would last over " + std::to_string(kMaxSeconds) + " seconds",
                           "text");
  }
  if (err != EE_OK) {
    return internalError("espeak-ng failed to synthesize (error " +
                         std::to_string(static_cast<int>(err)) + ")");
  }

  Pcm out = resampleTo8k(collected.samples, rate_);
  out.resize(out.size() + kTelephoneRate * kTrailingSilenceMs / 1000, 0);
  return out;
}

}  // namespace ting::tts
