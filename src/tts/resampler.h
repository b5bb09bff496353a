#pragma once
// Sample-rate conversion of mono audio to the telephone rate (speexdsp).

#include <cstdint>
#include <span>

#include "tts/pcm.h"

struct SpeexResamplerState_;

namespace ting::tts {

// Streams mono audio at `in_rate` into 8 kHz. The output is aligned with the
// input (the filter's delay is removed at the start and flushed at the end),
// so after finish() it holds round(n * 8000 / in_rate) samples for n input
// samples. At 8 kHz input it copies. Not thread-safe: one owner.
class Resampler {
 public:
  // Requires 0 < in_rate. speexdsp quality 0 (fast) to 10 (best).
  explicit Resampler(int in_rate, int quality = 7);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // `in` holds samples on the 16-bit scale (±32768); appends to `out`,
  // rounding and clipping to int16.
  void push(std::span<const float> in, Pcm& out);
  // Appends the filter's tail to `out` (the vector push() appended to; it may
  // also drop a sample or two from its end to meet the exact length).
  // push() must not be called afterwards.
  void finish(Pcm& out);

 private:
  void process(std::span<const float> in, Pcm& out);

  int in_rate_;
  SpeexResamplerState_* state_ = nullptr;  // null when in_rate_ is 8000
  std::uint64_t in_total_ = 0;
  std::uint64_t out_total_ = 0;
};

// Whole-buffer convenience over Resampler.
Pcm resampleTo8k(std::span<const std::int16_t> in, int in_rate);

}  // namespace ting::tts
