#pragma once
// Audio inside Ting's media path: 8 kHz mono signed 16-bit PCM, handled in
// 20 ms frames of 160 samples — the telephone rate and the RTP packet size.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace ting::media {

inline constexpr int kSampleRate = 8000;
inline constexpr int kFrameMs = 20;
inline constexpr size_t kFrameSamples = 160;

// A prompt's audio. Shared because many calls on several media loops play
// the same prompt at once; it is immutable once made.
using Pcm = std::vector<std::int16_t>;
using PcmPtr = std::shared_ptr<const Pcm>;

using FrameSpan = std::span<std::int16_t, kFrameSamples>;
using ConstFrameSpan = std::span<const std::int16_t, kFrameSamples>;

}  // namespace ting::media
