#pragma once
// Audio as the rest of Ting plays it: 8 kHz mono signed 16-bit PCM, the
// telephone rate.

#include <cstdint>
#include <memory>
#include <vector>

namespace ting::tts {

inline constexpr int kTelephoneRate = 8000;

using Pcm = std::vector<std::int16_t>;

// A finished prompt. Shared because many calls on several media loops play
// the same prompt at once, and the caches keep it too; immutable once made.
using PcmPtr = std::shared_ptr<const Pcm>;

}  // namespace ting::tts
