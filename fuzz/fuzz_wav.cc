// Audio files tenants upload as prompts (WAV and the other accepted formats).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "tts/audio.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ting::tts::AudioLimits limits;
  auto pcm = ting::tts::decodeAudio(std::span<const uint8_t>(data, size), limits);
  if (pcm.isOk()) {
    // Never longer than the limit allows, whatever the header claims.
    const size_t max = static_cast<size_t>(limits.max_seconds) * ting::tts::kTelephoneRate + 1;
    if (pcm->empty() || pcm->size() > max) std::abort();
  }
  return 0;
}
