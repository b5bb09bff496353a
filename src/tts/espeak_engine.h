#pragma once
// TtsEngine on espeak-ng (libespeak-ng 1.51).
//
// Voices are espeak-ng's names ("en", "en-us", "de", variants like "en+f3").
// Mandarin: voice "cmn-latn-pinyin" with Chinese text; voice "cmn" in 1.51
// reads many characters as English tone digits ("nin two hao three").

#include <memory>
#include <string>

#include "tts/tts_engine.h"

namespace ting::tts {

// espeak-ng keeps global state, so at most one EspeakEngine exists at a time
// and it must be used from one thread at a time (the prompt cache's worker).
// espeak-ng is initialized once per process and never terminated: 1.51 hangs
// in espeak_Terminate() after a re-initialization.
class EspeakEngine final : public TtsEngine {
 public:
  static constexpr size_t kMaxTextBytes = 4000;
  static constexpr int kTrailingSilenceMs = 100;  // so a phone hears the last syllable out

  // kUnavailable when espeak-ng cannot start (no voice data) or another
  // EspeakEngine is alive.
  static Result<std::unique_ptr<EspeakEngine>> create();
  ~EspeakEngine() override;
  EspeakEngine(const EspeakEngine&) = delete;
  EspeakEngine& operator=(const EspeakEngine&) = delete;

  // Also kInvalidArgument when the speech would last over ten minutes.
  Result<Pcm> render(std::string_view voice, std::string_view text) override;

 private:
  explicit EspeakEngine(int rate) : rate_(rate) {}

  int rate_;           // espeak-ng's output rate, 22050 Hz in 1.51
  std::string voice_;  // the voice last selected, to skip reloading it
};

}  // namespace ting::tts
